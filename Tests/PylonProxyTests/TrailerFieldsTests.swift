import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `TrailerFields`: who accepts trailers, which fields go on, and the last chunk that
/// carries them to an HTTP/1.1 client.
final class TrailerFieldsTests: XCTestCase {
    func testTETrailersIsRecognisedAmongOtherCodings() {
        XCTAssertTrue(TrailerFields.areAccepted(by: HTTPHeaders([("TE", "trailers")])))
        XCTAssertTrue(TrailerFields.areAccepted(by: HTTPHeaders([("te", "gzip;q=0.5, Trailers")])))
        XCTAssertTrue(TrailerFields.areAccepted(by: HTTPHeaders([("te", "gzip"), ("te", "trailers ;q=1")])))
        XCTAssertFalse(TrailerFields.areAccepted(by: HTTPHeaders([("te", "gzip")])))
        XCTAssertFalse(TrailerFields.areAccepted(by: HTTPHeaders([("te", "trailersx")])))
        XCTAssertFalse(TrailerFields.areAccepted(by: HTTPHeaders()))
    }

    func testHopByHopFramingAndRoutingFieldsAreNotForwarded() {
        let trailers = HTTPHeaders([
            ("grpc-status", "0"), ("Connection", "x-private"), ("x-private", "1"), ("Transfer-Encoding", "chunked"),
            ("Content-Length", "3"), ("Host", "evil"), ("x-checksum", "abc"),
        ])
        let forwarded = TrailerFields.forwardable(trailers)
        XCTAssertEqual(forwarded.map { $0.map { "\($0.name): \($0.value)" } }, ["grpc-status: 0", "x-checksum: abc"])
        XCTAssertNil(TrailerFields.forwardable(HTTPHeaders([("Connection", "close")])))
        XCTAssertNil(TrailerFields.forwardable(HTTPHeaders()))
        XCTAssertNil(TrailerFields.forwardable(nil))
    }

    func testTheLastChunkCarriesTrailersOnlyForClientsThatAskedForThem() {
        let trailers = HTTPHeaders([("grpc-status", "0"), ("grpc-message", "OK")])
        var asking = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
        asking.headers.add(name: "TE", value: "trailers")
        let last = TrailerFields.lastChunk(with: trailers, request: asking, allocator: ByteBufferAllocator())
        XCTAssertEqual(last.map { String(buffer: $0) }, "0\r\ngrpc-status: 0\r\ngrpc-message: OK\r\n\r\n")

        let notAsking = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
        XCTAssertNil(TrailerFields.lastChunk(with: trailers, request: notAsking, allocator: ByteBufferAllocator()))
    }
}
