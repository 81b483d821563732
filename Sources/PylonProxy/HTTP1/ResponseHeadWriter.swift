package import NIOCore
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
        if requestMethod.isHEAD || (100..<200).contains(code) || code == 204 || code == 304 { return .none }
        if let contentLength { return .contentLength(contentLength) }
        return clientVersion.minor >= 1 ? .chunked : .closeDelimited
    }
}

/// Serialises response heads and frames body pieces for an HTTP/1.x client.
package enum ResponseHeadWriter {
    /// What the `Connection` field of a response says, when Pylon sets it.
    package enum ConnectionField {
        case close
        case keepAlive
    }

    /// Writes `head` as it stands (an interim response's) into one buffer.
    static func write(_ head: ResponseHead, into buffer: inout ByteBuffer) {
        HeadBytesWriter.write(into: &buffer, estimate: Self.headEstimate) { writer in
            Self.writeStatusLine(head.status, version: head.version, into: &writer)
            writer.appendFields(head.headers)
            writer.append("\r\n")
        }
    }

    /// Writes `head` with the framing fields `framing` calls for and, when given, Pylon's
    /// own `Connection` field, in place of whatever the head's fields say about them:
    /// how the body is delimited on this connection is Pylon's decision alone. Done while
    /// serialising rather than by editing the fields first, which costs a scan and a copy
    /// of them per field changed.
    package static func write(
        _ head: ResponseHead, version: HTTPVersion, framing: ResponseFraming, connection: ConnectionField?,
        into buffer: inout ByteBuffer
    ) {
        HeadBytesWriter.write(into: &buffer, estimate: Self.headEstimate) { writer in
            Self.writeStatusLine(head.status, version: version, into: &writer)
            // A HEAD or 304 response keeps the Content-Length a GET would have had; 1xx and
            // 204 carry none.
            let keepsContentLength = framing == .none && head.status.code >= 200 && head.status.code != 204
            head.headers.forEachLine { name, value in
                switch name.count {
                case 14 where FieldName.matches(name, "content-length"):
                    if !keepsContentLength { return }
                case 17 where FieldName.matches(name, "transfer-encoding"):
                    return
                case 10 where connection != nil && FieldName.matches(name, "connection"):
                    return
                default:
                    break
                }
                writer.appendField(name, value)
            }
            switch framing {
            case .contentLength(let length):
                writer.append("Content-Length: ")
                writer.appendDecimal(length)
                writer.append("\r\n")
            case .chunked:
                writer.append("Transfer-Encoding: chunked\r\n")
            case .none, .closeDelimited:
                break
            }
            switch connection {
            case .close: writer.append("Connection: close\r\n")
            case .keepAlive: writer.append("Connection: keep-alive\r\n")
            case nil: break
            }
            writer.append("\r\n")
        }
    }

    /// Room for a typical response head; a longer head costs a second pass over its fields.
    private static var headEstimate: Int { 256 }

    private static func writeStatusLine(_ status: HTTPResponseStatus, version: HTTPVersion, into writer: inout HeadBytesWriter) {
        writer.append(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        let code = status.code
        writer.append(byte: UInt8(ascii: "0") + UInt8(code / 100))
        writer.append(byte: UInt8(ascii: "0") + UInt8(code / 10 % 10))
        writer.append(byte: UInt8(ascii: "0") + UInt8(code % 10))
        writer.append(byte: UInt8(ascii: " "))
        writer.append(status.reasonPhrase)
        writer.append("\r\n")
    }

    /// Writes `fields` as field lines (`name: value` CRLF each): a head's or a trailer section's.
    static func writeFields(_ fields: HTTPHeaders, into buffer: inout ByteBuffer) {
        HeadBytesWriter.write(into: &buffer, estimate: Self.headEstimate) { writer in
            writer.appendFields(fields)
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

    /// The CRLF after a chunk's data, shared: making one per chunk allocates.
    static let chunkEnd = ByteBuffer(staticString: "\r\n")
    /// The last chunk of a body without trailers.
    static let emptyLastChunk = ByteBuffer(staticString: "0\r\n\r\n")

    /// The bytes that precede a chunk of `length` bytes.
    static func chunkPrefix(length: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 18)
        Self.writeChunkPrefix(length: length, into: &buffer)
        return buffer
    }

    /// Writes the chunk-size line for a chunk of `length` bytes.
    static func writeChunkPrefix(length: Int, into buffer: inout ByteBuffer) {
        buffer.writeString(String(length, radix: 16))
        buffer.writeStaticString("\r\n")
    }

    /// Copies `piece` into `buffer` as one whole chunk: size line, data, CRLF.
    static func writeChunk(_ piece: ByteBuffer, into buffer: inout ByteBuffer) {
        Self.writeChunkPrefix(length: piece.readableBytes, into: &buffer)
        buffer.writeImmutableBuffer(piece)
        buffer.writeImmutableBuffer(Self.chunkEnd)
    }
}
