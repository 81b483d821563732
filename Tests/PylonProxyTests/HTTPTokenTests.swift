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

    /// The word-at-a-time check of a name's bytes against the byte-by-byte one.
    func testAWordAtATimeMatchesTheByteByByteCheckForEveryByteAtEveryPosition() {
        forEveryByteAtEveryPosition { name, byte, place in
            XCTAssertEqual(name.withUnsafeBytes { HTTPToken.isToken($0) }, HTTPToken.isTokenByte(byte), place)
        }
        for name in ["X-Forwarded-For", "x-request-id", "Via", "ETag", "Content-Length", "X_Custom~1", "A@b"] {
            XCTAssertEqual(name.utf8.withContiguousStorageIfAvailable { HTTPToken.isToken(UnsafeRawBufferPointer($0)) },
                           HTTPToken.isToken(name), name)
        }
        XCTAssertFalse(HTTPToken.isToken(UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
