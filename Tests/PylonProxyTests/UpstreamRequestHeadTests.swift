import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `UpstreamRequestHead.make`: what of the client's request head goes upstream, here the
/// `cookie` fields an HTTP/2 client may split (RFC 9113 §8.2.3).
final class UpstreamRequestHeadTests: XCTestCase {
    private func upstreamHead(
        version: HTTPVersion, _ fields: [(String, String)], upstreamVersion: UpstreamHTTPVersion
    ) -> RequestHead {
        let request = RequestHead(version: version, method: .GET, uri: "/", headers: HeaderFields(fields))
        return PylonProxyTests.upstreamHead(for: request, framing: .none, forwarding: .noneAdded, upstreamVersion: upstreamVersion).head
    }

    private func fieldLines(_ head: RequestHead) -> [String] {
        head.headers.map { "\($0.name): \($0.value)" }
    }

    func testSplitHTTP2CookiesBecomeOneFieldInOrderForAnHTTP11Upstream() {
        let head = self.upstreamHead(
            version: .http2,
            [("host", "a.test"), ("cookie", "a=1"), ("accept", "*/*"), ("cookie", "b=2"), ("cookie", "c=3")],
            upstreamVersion: .http1_1
        )
        XCTAssertEqual(self.fieldLines(head), ["host: a.test", "cookie: a=1; b=2; c=3", "accept: */*"])
    }

    func testOneHTTP2CookieFieldGoesAsItCame() {
        let head = self.upstreamHead(version: .http2, [("cookie", "a=1; b=2"), ("accept", "*/*")], upstreamVersion: .http1_1)
        XCTAssertEqual(self.fieldLines(head), ["cookie: a=1; b=2", "accept: */*"])
    }

    func testSplitHTTP2CookiesStaySplitForAnHTTP2Upstream() {
        let head = self.upstreamHead(version: .http2, [("cookie", "a=1"), ("cookie", "b=2")], upstreamVersion: .http2)
        XCTAssertEqual(self.fieldLines(head), ["cookie: a=1", "cookie: b=2"])
    }

    func testAnHTTP11ClientsFieldsAreNotRewritten() {
        let head = self.upstreamHead(version: .http1_1, [("Cookie", "a=1"), ("Cookie", "b=2")], upstreamVersion: .http1_1)
        XCTAssertEqual(self.fieldLines(head), ["Cookie: a=1", "Cookie: b=2"])
    }

    func testFieldsNamedByALaterConnectionLineAreDroppedAndTheRestKeepTheirOrder() {
        let head = self.upstreamHead(
            version: .http1_1,
            [("host", "a.test"), ("x-foo", "1"), ("accept", "*/*"), ("Connection", "keep-alive, X-Foo"), ("x-kept", "k"), ("X-FOO", "2")],
            upstreamVersion: .http1_1
        )
        XCTAssertEqual(self.fieldLines(head), ["host: a.test", "accept: */*", "x-kept: k"])
    }
}
