package import NIOCore
import NIOHTTP1

/// Serialises a request for an HTTP/1.1 upstream straight into bytes: the head in one
/// buffer, and the body framed the way the head announced it. The head's framing fields
/// are already final (the proxy decides them from how the client framed its body).
package struct UpstreamRequestWriter {
    /// Whether the body being written goes out in chunks.
    private(set) var isChunked = false

    package init() {}

    /// Writes `head` into one buffer and remembers whether its body is chunked.
    /// `buffers`: where the head's buffer comes from when the connection has a cache.
    package mutating func writeHead(_ head: RequestHead, allocator: ByteBufferAllocator, buffers: HeadBufferCache? = nil) -> ByteBuffer {
        let method = head.method.rawValue
        let estimate = method.utf8.count + head.uri.utf8.count + Self.fieldsEstimate
        var buffer = buffers?.buffer(capacity: estimate, allocator: allocator) ?? allocator.buffer(capacity: estimate)
        var chunked = false
        HeadBytesWriter.write(into: &buffer, estimate: estimate) { writer in
            writer.append(method)
            writer.append(byte: UInt8(ascii: " "))
            writer.append(head.uri)
            writer.append(head.version.minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n")
            // The framing is learnt in the same pass over the fields that writes them.
            head.headers.forEachLine { name, value in
                if FieldName.matches(name, "transfer-encoding") {
                    chunked = value.count >= 7 && FieldName.matches(value[(value.count - 7)...], "chunked")
                }
                writer.appendField(name, value)
            }
            writer.append("\r\n")
        }
        self.isChunked = chunked
        return buffer
    }

    /// Room for the field lines of a typical request head; a longer head costs a second pass.
    private static var fieldsEstimate: Int { 256 }

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
