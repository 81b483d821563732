import NIOCore
public import NIOHTTP1

/// How a response body is delimited on the way to the client.
public enum ResponseFraming: Sendable, Equatable {
    /// No body may follow (HEAD, 1xx, 204, 304).
    case none
    /// The body is exactly this long.
    case contentLength(Int)
    /// Chunked transfer coding (HTTP/1.1 clients, unknown length).
    case chunked
    /// The body ends when the connection closes (HTTP/1.0 clients, unknown length).
    case closeDelimited

    /// Picks the framing for a response to `method` at client `version`, given the
    /// length the upstream announced (nil when unknown). RFC 9112 §6.3.
    public static func decide(
        status: HTTPResponseStatus, requestMethod: HTTPMethod, clientVersion: HTTPVersion, contentLength: Int?
    ) -> ResponseFraming {
        let code = status.code
        if requestMethod == .HEAD || (100..<200).contains(code) || code == 204 || code == 304 { return .none }
        if let contentLength { return .contentLength(contentLength) }
        return clientVersion.minor >= 1 ? .chunked : .closeDelimited
    }
}

/// Serialises response heads and frames body pieces for an HTTP/1.x client.
enum ResponseHeadWriter {
    /// Writes `head` (whose framing fields are already final) into one buffer.
    static func write(_ head: HTTPResponseHead, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(head.version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        let code = head.status.code
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 100))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code % 10))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        Self.writeFields(head.headers, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// Writes `fields` as field lines (`name: value` CRLF each): a head's or a trailer section's.
    static func writeFields(_ fields: HTTPHeaders, into buffer: inout ByteBuffer) {
        for (name, value) in fields {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
    }

    /// The last chunk of a chunked body, with `trailers` as its trailer section.
    static func lastChunk(trailers: HTTPHeaders?, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: trailers == nil ? 5 : 64)
        buffer.writeStaticString("0\r\n")
        if let trailers { Self.writeFields(trailers, into: &buffer) }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// Sets the framing fields of `headers` to match `framing`.
    static func applyFraming(_ framing: ResponseFraming, to headers: inout HTTPHeaders, status: HTTPResponseStatus) {
        switch framing {
        case .none:
            // A HEAD response keeps the Content-Length a GET would have had; 1xx/204 carry none.
            headers.remove(name: "transfer-encoding")
            if status.code < 200 || status.code == 204 { headers.remove(name: "content-length") }
        case .contentLength(let length):
            headers.remove(name: "transfer-encoding")
            headers.replaceOrAdd(name: "Content-Length", value: String(length))
        case .chunked:
            headers.remove(name: "content-length")
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        case .closeDelimited:
            headers.remove(name: "content-length")
            headers.remove(name: "transfer-encoding")
        }
    }

    /// The bytes that precede a chunk of `length` bytes.
    static func chunkPrefix(length: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 18)
        buffer.writeString(String(length, radix: 16))
        buffer.writeStaticString("\r\n")
        return buffer
    }
}
