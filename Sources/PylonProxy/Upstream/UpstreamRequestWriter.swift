import NIOCore
import NIOHTTP1

/// Serialises a request for an HTTP/1.1 upstream straight into bytes: the head in one
/// buffer, and the body framed the way the head announced it. The head's framing fields
/// are already final (the proxy decides them from how the client framed its body).
struct UpstreamRequestWriter {
    /// Whether the body being written goes out in chunks.
    private(set) var isChunked = false

    /// Writes `head` into one buffer and remembers whether its body is chunked.
    mutating func writeHead(_ head: HTTPRequestHead, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeString(head.method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.uri)
        buffer.writeStaticString(head.version.minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n")
        var chunked = false
        for (name, value) in head.headers
        where name.isFieldName("transfer-encoding") {
            chunked = value.utf8.count >= 7 && value.lowercased().hasSuffix("chunked")
        }
        ResponseHeadWriter.writeFields(head.headers, into: &buffer)
        buffer.writeStaticString("\r\n")
        self.isChunked = chunked
        return buffer
    }

    /// The bytes that go before a body piece of `length` bytes (a chunk-size line when chunked).
    func bodyPrefix(length: Int, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard self.isChunked else { return nil }
        return ResponseHeadWriter.chunkPrefix(length: length, allocator: allocator)
    }

    /// What follows a body piece: the CRLF that ends a chunk. One shared buffer: writing it
    /// out copies nothing, where allocating two bytes per chunk would.
    var bodySuffix: ByteBuffer? { self.isChunked ? ResponseHeadWriter.chunkEnd : nil }

    /// The end of the body: the last chunk and the trailer section when chunked.
    func end(trailers: HTTPHeaders?, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard self.isChunked else { return nil }
        return ResponseHeadWriter.lastChunk(trailers: trailers, allocator: allocator)
    }
}
