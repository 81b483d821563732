import XCTest

@testable import PylonProxy

/// `HTTPToken`: exactly RFC 9110 §5.6.2's `tchar` set, every byte value checked.
final class HTTPTokenTests: XCTestCase {
    func testTokenBytesAreExactlyTheRFCsTchars() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for byte in UInt8.min...UInt8.max {
            XCTAssertEqual(HTTPToken.isTokenByte(byte), tchars.contains(byte), "byte \(byte)")
        }
    }

    func testTokensAreNonEmptyRunsOfTchars() {
        XCTAssertTrue(HTTPToken.isToken("X-Request-Id"))
        XCTAssertFalse(HTTPToken.isToken(""))
        XCTAssertFalse(HTTPToken.isToken("X Request"))
        XCTAssertFalse(HTTPToken.isToken("Größe"))
    }
}
