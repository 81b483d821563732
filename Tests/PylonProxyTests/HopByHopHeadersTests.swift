import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `HopByHopHeaders.remove(from:)` (RFC 9110 §7.6.1).
final class HopByHopHeadersTests: XCTestCase {
    private func removing(_ pairs: [(String, String)]) -> [String] {
        var headers = HTTPHeaders(pairs)
        HopByHopHeaders.remove(from: &headers)
        return headers.map { "\($0.name): \($0.value)" }
    }

    func testStandardHopByHopFieldsAreRemoved() {
        let remaining = self.removing([
            ("Host", "a"),
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "websocket"),
            ("Proxy-Authenticate", "Basic"),
            ("Proxy-Authorization", "Basic eA=="),
            ("Trailer", "X-Checksum"),
            ("Accept", "*/*"),
        ])
        XCTAssertEqual(remaining, ["Host: a", "Accept: */*"])
    }

    func testStandardFieldsAreMatchedCaseInsensitively() {
        let remaining = self.removing([
            ("CONNECTION", "close"), ("keep-ALIVE", "1"), ("te", "trailers"), ("TRANSFER-encoding", "chunked"),
            ("upgrade", "h2c"), ("X-Keep", "1"),
        ])
        XCTAssertEqual(remaining, ["X-Keep: 1"])
    }

    func testFieldsNamedInConnectionAreRemoved() {
        let remaining = self.removing([
            ("Connection", "X-Secret, x-other"),
            ("X-Secret", "1"),
            ("X-OTHER", "2"),
            ("X-Kept", "3"),
        ])
        XCTAssertEqual(remaining, ["X-Kept: 3"])
    }

    func testFieldsNamedInEveryConnectionLineAreRemovedIgnoringWhitespace() {
        let remaining = self.removing([
            ("Connection", "  x-a ,x-b  "),
            ("connection", "X-C"),
            ("X-A", "1"), ("x-b", "2"), ("X-c", "3"), ("X-D", "4"),
        ])
        XCTAssertEqual(remaining, ["X-D: 4"])
    }

    func testNamesThatDifferOnlyInACaseBitOutsideLettersAreNotTheSameOption() {
        // `^` (0x5E) and `~` (0x7E) are both token bytes and differ only in 0x20.
        XCTAssertEqual(self.removing([("Connection", "a~b"), ("A~B", "1"), ("a^b", "2")]), ["a^b: 2"])
        let nominated: [Substring] = ["x^y"]
        Array("X^Y".utf8).withUnsafeBytes { XCTAssertTrue(HopByHopHeaders.isNominated(utf8: $0, in: nominated)) }
        for name in ["x~y", "X~Y"] {
            XCTAssertFalse(HopByHopHeaders.isNominated(name, in: nominated), name)
            Array(name.utf8).withUnsafeBytes { XCTAssertFalse(HopByHopHeaders.isNominated(utf8: $0, in: nominated), name) }
        }
    }

    func testRepeatedNamedFieldsAreAllRemoved() {
        let remaining = self.removing([("Connection", "X-A"), ("X-A", "1"), ("X-B", "2"), ("x-a", "3")])
        XCTAssertEqual(remaining, ["X-B: 2"])
    }

    func testEndToEndFieldsAreKeptInOrder() {
        let pairs: [(String, String)] = [
            ("Host", "example.com"), ("Content-Type", "text/plain"), ("Content-Length", "5"),
            ("Authorization", "Bearer t"), ("Cache-Control", "no-cache"), ("X-Forwarded-For", "10.0.0.1"),
            ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Trailers", "not the Trailer field"),
            ("X-Connection", "close"),
        ]
        XCTAssertEqual(self.removing(pairs), pairs.map { "\($0.0): \($0.1)" })
    }

    func testConnectionCloseAndKeepAliveOptionsRemoveOnlyTheConnectionField() {
        XCTAssertEqual(self.removing([("Connection", "close"), ("Host", "a")]), ["Host: a"])
        XCTAssertEqual(self.removing([("Connection", "keep-alive, Upgrade"), ("Upgrade", "x"), ("Host", "a")]), ["Host: a"])
    }

    func testHeadersWithoutHopByHopFieldsAreUnchanged() {
        XCTAssertEqual(self.removing([("Host", "a"), ("Accept", "*/*")]), ["Host: a", "Accept: */*"])
        XCTAssertEqual(self.removing([]), [])
    }

    func testEveryStandardNameIsRecognisedInAnyCaseAndNearMissesAreNot() {
        for name in HopByHopHeaders.standard {
            XCTAssertTrue(HopByHopHeaders.isStandard(name), name)
            XCTAssertTrue(HopByHopHeaders.isStandard(name.uppercased()), name)
            XCTAssertTrue(HopByHopHeaders.isStandard(utf8: Array(name.utf8)), name)
            XCTAssertFalse(HopByHopHeaders.isStandard(String(name.dropLast())), name)
            XCTAssertFalse(HopByHopHeaders.isStandard(name + "s"), name)
        }
        for name in ["keep_alive", "tf", "upgradE1", "content-length", "x-trailer", "proxy-connectiom"] {
            XCTAssertFalse(HopByHopHeaders.isStandard(name), name)
        }
    }
}
