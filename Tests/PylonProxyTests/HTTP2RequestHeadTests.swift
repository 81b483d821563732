import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import XCTest

@testable import PylonProxy

/// A client's HTTP/2 header blocks as the request head and trailers the phases see, and the
/// pseudo-header checks that keep a malformed request from going anywhere.
final class HTTP2RequestHeadTests: XCTestCase {
    private static let pseudoHeaders = [(":method", "POST"), (":scheme", "https"), (":path", "/a?b=c"), (":authority", "a.test")]

    func testPseudoHeadersBecomeMethodPathAndHostAndTheOtherFieldsFollowInOrder() throws {
        let head = try HTTP2RequestHead.make(from: HPACKHeaders(Self.pseudoHeaders + [("x-b", "2"), ("x-a", "1")]))

        XCTAssertEqual(head.method, .POST)
        XCTAssertEqual(head.uri, "/a?b=c")
        XCTAssertEqual(head.version, .http2)
        XCTAssertEqual(head.headers.map { "\($0.name): \($0.value)" }, ["host: a.test", "x-b: 2", "x-a: 1"])
    }

    func testAHostFieldTheClientSentWinsOverAuthority() throws {
        let head = try HTTP2RequestHead.make(from: HPACKHeaders(Self.pseudoHeaders + [("host", "b.test")]))

        XCTAssertEqual(head.headers["host"], ["b.test"])
    }

    func testAnUnknownMethodIsKeptAsItCame() throws {
        var fields = Self.pseudoHeaders
        fields[0].1 = "BREW"
        XCTAssertEqual(try HTTP2RequestHead.make(from: HPACKHeaders(fields)).method, .RAW(value: "BREW"))
    }

    func testEachMissingPseudoHeaderIsRefused() {
        for missing in [":method", ":scheme", ":path", ":authority"] {
            let fields = Self.pseudoHeaders.filter { $0.0 != missing } + [("host", "a.test")]
            XCTAssertThrowsError(try HTTP2RequestHead.make(from: HPACKHeaders(fields)), missing) { error in
                XCTAssertTrue(error is NIOHTTP2Errors.MissingPseudoHeader, "\(missing): \(error)")
            }
        }
    }

    func testARepeatedPseudoHeaderIsRefused() {
        let fields = Self.pseudoHeaders + [(":path", "/other")]
        XCTAssertThrowsError(try HTTP2RequestHead.make(from: HPACKHeaders(fields))) { error in
            XCTAssertTrue(error is NIOHTTP2Errors.DuplicatePseudoHeader, "\(error)")
        }
    }

    func testAPathThatWouldSplitAnHTTP1RequestLineIsRefused() {
        for path in ["/a b", "/a\r\nx: y", "/a\u{7F}"] {
            var fields = Self.pseudoHeaders
            fields[2].1 = path
            XCTAssertThrowsError(try HTTP2RequestHead.make(from: HPACKHeaders(fields)), path) { error in
                XCTAssertTrue(error is NIOHTTP2Errors.InvalidPseudoHeaderValue, "\(error)")
            }
        }
    }

    func testTrailersAreTheRegularFieldsOfTheirBlock() {
        let trailers = HTTP2RequestHead.trailers(from: HPACKHeaders([("x-checksum", "abc"), ("x-count", "2")]))

        XCTAssertEqual(trailers.map { "\($0.name): \($0.value)" }, ["x-checksum: abc", "x-count: 2"])
    }

    // MARK: Response header blocks

    func testAResponseBlockStartsWithStatusAndHasOnlyLowercaseNames() {
        let block = HTTP2ResponseHeaderBlock.head(status: .notFound, fields: ["Content-Type": "text/plain", "x-id": "7"])

        XCTAssertEqual(block.map { "\($0.name): \($0.value)" }, [":status: 404", "content-type: text/plain", "x-id: 7"])
    }

    func testConnectionSpecificFieldsAreNeverInAResponseOrTrailerBlock() {
        let fields: HTTPHeaders = [
            "Connection": "close, X-Hop", "X-Hop": "1", "Keep-Alive": "timeout=5", "Transfer-Encoding": "chunked",
            "Upgrade": "h2c", "Proxy-Connection": "keep-alive", "TE": "trailers", "X-Kept": "yes",
        ]

        XCTAssertEqual(HTTP2ResponseHeaderBlock.head(status: .ok, fields: HeaderFields(fields)).map(\.name), [":status", "x-kept"])
        XCTAssertEqual(HTTP2ResponseHeaderBlock.trailers(fields).map(\.name), ["x-kept"])
    }
}
