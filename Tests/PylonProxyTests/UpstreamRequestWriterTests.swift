import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `UpstreamRequestWriter`: the request bytes an HTTP/1.1 upstream gets, read back by NIO's
/// own request decoder, trailers included.
final class UpstreamRequestWriterTests: XCTestCase {
    private let allocator = ByteBufferAllocator()

    /// The whole request `writer` produces for `head`, text `pieces` and `trailers`.
    private func write(
        _ head: RequestHead, pieces: [String], trailers: HTTPHeaders?, writer: inout UpstreamRequestWriter
    ) -> ByteBuffer {
        writeUpstreamRequest(head, pieces: pieces.map { Array($0.utf8) }, trailers: trailers, writer: &writer)
    }

    func testChunkedRequestEndsWithItsTrailersInTheLastChunk() throws {
        var head = RequestHead(version: .http1_1, method: .POST, uri: "/up")
        head.headers.add(name: "Host", value: "a")
        head.headers.add(name: "Transfer-Encoding", value: "chunked")
        var writer = UpstreamRequestWriter()
        let trailers = HTTPHeaders([("X-Checksum", "abc"), ("x-count", "2")])
        let bytes = self.write(head, pieces: ["hello", " world"], trailers: trailers, writer: &writer)
        XCTAssertTrue(
            String(buffer: bytes).hasSuffix("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nx-count: 2\r\n\r\n"),
            String(buffer: bytes)
        )
        let parts = try decodedByNIO(bytes)
        XCTAssertEqual(parts.count, 4, "\(parts)")
        guard case .end(let received?) = parts.last else { return XCTFail("no trailers: \(parts)") }
        XCTAssertEqual(received.map { "\($0.name): \($0.value)" }, ["X-Checksum: abc", "x-count: 2"])
    }

    func testChunkedRequestWithoutTrailersEndsWithThePlainLastChunk() {
        var head = RequestHead(version: .http1_1, method: .POST, uri: "/up")
        head.headers.add(name: "Transfer-Encoding", value: "chunked")
        var writer = UpstreamRequestWriter()
        let bytes = self.write(head, pieces: ["x"], trailers: nil, writer: &writer)
        XCTAssertTrue(String(buffer: bytes).hasSuffix("\r\n\r\n1\r\nx\r\n0\r\n\r\n"), String(buffer: bytes))
    }

    func testContentLengthRequestCarriesNoChunkFramingAndNoTrailers() {
        var head = RequestHead(version: .http1_1, method: .POST, uri: "/up")
        head.headers.add(name: "Content-Length", value: "5")
        var writer = UpstreamRequestWriter()
        let bytes = self.write(head, pieces: ["hello"], trailers: HTTPHeaders([("X-T", "1")]), writer: &writer)
        XCTAssertTrue(String(buffer: bytes).hasSuffix("\r\n\r\nhello"), String(buffer: bytes))
        XCTAssertNil(writer.bodySuffix)
        XCTAssertNil(writer.end(trailers: HTTPHeaders([("X-T", "1")]), allocator: self.allocator))
    }

    func testEveryChunkEndsWithTheSameSharedBuffer() throws {
        var head = RequestHead(version: .http1_1, method: .POST, uri: "/up")
        head.headers.add(name: "Transfer-Encoding", value: "chunked")
        var writer = UpstreamRequestWriter()
        _ = writer.writeHead(head, allocator: self.allocator)
        let first = try XCTUnwrap(writer.bodySuffix)
        let second = try XCTUnwrap(writer.bodySuffix)
        XCTAssertEqual(String(buffer: first), "\r\n")
        // One storage for every chunk: nothing is allocated per chunk.
        XCTAssertEqual(
            first.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) },
            second.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        )
    }

    func testHeadLongerThanItsBufferIsWrittenWholeAndStillFramesItsBodyInChunks() throws {
        // Far beyond the room a head buffer starts with: the head is written a second time
        // into a grown buffer, and the Transfer-Encoding seen last still decides the framing.
        var head = RequestHead(version: .http1_1, method: .PUT, uri: "/" + String(repeating: "p", count: 300))
        head.headers.add(name: "Host", value: "a")
        for i in 0..<80 { head.headers.add(name: "X-Field-\(i)", value: String(repeating: "v", count: i * 5)) }
        head.headers.add(name: "Transfer-Encoding", value: "chunked")
        var writer = UpstreamRequestWriter()
        let bytes = self.write(head, pieces: ["abc"], trailers: nil, writer: &writer)
        XCTAssertTrue(writer.isChunked)
        let parts = try decodedByNIO(bytes)
        guard case .head(let received) = parts.first else { return XCTFail("no head: \(parts)") }
        XCTAssertEqual(received.uri, head.uri)
        XCTAssertEqual(received.headers.map { "\($0.name): \($0.value)" }, head.headers.map { "\($0.name): \($0.value)" })
        XCTAssertEqual(parts.count, 3, "\(parts)")
        XCTAssertTrue(String(buffer: bytes).hasSuffix("\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
    }
}
