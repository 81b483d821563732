import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `TrailerFields`: who accepts trailers, which fields go on, and the last chunk that
/// carries them to an HTTP/1.1 client.
final class TrailerFieldsTests: XCTestCase {
    func testTETrailersIsRecognisedAmongOtherCodings() {
        XCTAssertTrue(TrailerFields.areAccepted(by: HeaderFields([("TE", "trailers")])))
        XCTAssertTrue(TrailerFields.areAccepted(by: HeaderFields([("te", "gzip;q=0.5, Trailers")])))
        XCTAssertTrue(TrailerFields.areAccepted(by: HeaderFields([("te", "gzip"), ("te", "trailers ;q=1")])))
        XCTAssertFalse(TrailerFields.areAccepted(by: HeaderFields([("te", "gzip")])))
        XCTAssertFalse(TrailerFields.areAccepted(by: HeaderFields([("te", "trailersx")])))
        XCTAssertFalse(TrailerFields.areAccepted(by: HeaderFields()))
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

    func testFieldsThatMustNotBeTrailersAreNotForwarded() {
        // RFC 9110 §6.5.1: routing, authentication, request modifiers, response control data
        // and content format are needed before the content; in either direction they go.
        let trailers = HTTPHeaders([
            ("Authorization", "Bearer x"), ("COOKIE", "a=b"), ("Set-Cookie", "a=b"), ("Content-Type", "text/evil"),
            ("content-encoding", "gzip"), ("X-Forwarded-For", "10.9.9.9"), ("Forwarded", "for=10.9.9.9"),
            ("Via", "1.1 evil"), ("Expect", "100-continue"), ("Range", "bytes=0-1"), ("If-None-Match", "*"),
            ("Location", "/elsewhere"), ("Cache-Control", "no-store"), ("WWW-Authenticate", "Basic"),
            ("x-checksum", "abc"), ("Content-Digest", "sha-256=:AEGPTgUMw5e96wxZuDtpfm23RBU3nFwtgY5fw4NYORo=:"),
            ("Server-Timing", "db;dur=53"), ("grpc-status", "0"),
        ])
        XCTAssertEqual(
            TrailerFields.forwardable(trailers)?.map(\.name), ["x-checksum", "Content-Digest", "Server-Timing", "grpc-status"]
        )
        XCTAssertNil(TrailerFields.forwardable(HTTPHeaders([("Authorization", "x"), ("Content-Length", "1")])))
    }

    func testForbiddenNamesMatchWholeNamesInAnyCase() {
        XCTAssertTrue(TrailerFields.isForbidden("Content-Length"))
        XCTAssertTrue(TrailerFields.isForbidden("AUTHORIZATION"))
        XCTAssertFalse(TrailerFields.isForbidden("Content-Lengths"))
        XCTAssertFalse(TrailerFields.isForbidden("X-Authorization"))
        XCTAssertFalse(TrailerFields.isForbidden("content-digest"))
        XCTAssertFalse(TrailerFields.isForbidden(""))
    }

    func testTheLastChunkCarriesTrailersOnlyForClientsThatAskedForThem() {
        let trailers = HTTPHeaders([("grpc-status", "0"), ("grpc-message", "OK")])
        var asking = RequestHead(version: .http1_1, method: .POST, uri: "/")
        asking.headers.add(name: "TE", value: "trailers")
        let last = TrailerFields.lastChunk(with: trailers, request: asking, allocator: ByteBufferAllocator())
        XCTAssertEqual(last.map { String(buffer: $0) }, "0\r\ngrpc-status: 0\r\ngrpc-message: OK\r\n\r\n")

        let notAsking = RequestHead(version: .http1_1, method: .POST, uri: "/")
        XCTAssertNil(TrailerFields.lastChunk(with: trailers, request: notAsking, allocator: ByteBufferAllocator()))
    }
}
