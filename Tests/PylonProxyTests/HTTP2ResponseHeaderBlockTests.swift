import NIOHPACK
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `HTTP2ResponseHeaderBlock`: the HEADERS block of a response to an HTTP/2 client.
final class HTTP2ResponseHeaderBlockTests: XCTestCase {
    private func lines(_ block: HPACKHeaders) -> [String] {
        block.map { "\($0.name): \($0.value) \($0.indexable)" }
    }

    func testNamedFieldsGoWithoutIndexingAndTheRestIndexable() {
        let fields = HeaderFields([("Content-Type", "text/plain"), ("X-Request-Id", "abc"), ("x-request-id", "def"), ("ETag", "\"1\"")])
        let block = HTTP2ResponseHeaderBlock.head(status: .ok, fields: fields, unindexed: ["x-request-id"])
        XCTAssertEqual(self.lines(block), [
            ":status: 200 []",
            "content-type: text/plain []",
            "x-request-id: abc [non-indexable]",
            "x-request-id: def [non-indexable]",
            "etag: \"1\" []",
        ])
    }

    func testEveryFieldIsIndexableWhenNoneIsNamed() {
        let block = HTTP2ResponseHeaderBlock.head(status: .notFound, fields: HeaderFields([("X-Request-Id", "abc")]))
        XCTAssertEqual(self.lines(block), [":status: 404 []", "x-request-id: abc []"])
    }

    func testTrailersHonourTheNamesAndDropConnectionSpecificFields() {
        let fields = HTTPHeaders([("grpc-status", "0"), ("Connection", "close"), ("X-Request-Id", "abc")])
        let block = HTTP2ResponseHeaderBlock.trailers(fields, unindexed: ["x-request-id"])
        XCTAssertEqual(self.lines(block), ["grpc-status: 0 []", "x-request-id: abc [non-indexable]"])
    }

    func testConfiguredNamesAreKeptLowercase() {
        var configuration = ProxyServerConfiguration()
        configuration.unindexedResponseFields = ["X-Request-Id"]
        XCTAssertEqual(configuration.unindexedResponseFields, ["x-request-id"])
    }
}
