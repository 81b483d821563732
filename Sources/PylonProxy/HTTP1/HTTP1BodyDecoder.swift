import NIOCore
import NIOHTTP1

/// Reads one message body as its framing delimits it (RFC 9112 §6.3, §7.1): a fixed
/// length, chunked with an optional trailer section, or everything until the connection
/// closes. The request parser (client side) and the response parser (upstream side)
/// share it, so both ends of the proxy agree byte for byte on where a message ends.
///
/// Errors are `RequestParseError`s with status 400; the response parser reports their
/// reason as an upstream protocol error instead.
struct HTTP1BodyDecoder: Sendable {
    enum Framing: Sendable, Equatable {
        case contentLength(Int)
        case chunked
        /// HTTP/1.x responses without a length: the body ends when the connection does.
        case untilClose
    }

    enum Event: Sendable, Equatable {
        case body(ByteBuffer)
        /// The body is complete; chunked bodies may carry trailer fields.
        case end(HTTPHeaders?)
    }

    private enum State: Sendable {
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case finished
    }

    /// Longest chunk-size line accepted, extensions included: generous for real peers,
    /// small enough that a never-ending line cannot pin memory.
    static let maxChunkSizeLine = 4096

    /// Bound on the trailer section, counted like a header block.
    let maxTrailerBytes: Int
    private var state: State
    private var trailerBytes = 0
    private var trailers: HTTPHeaders? = nil

    init(_ framing: Framing, maxTrailerBytes: Int) {
        self.maxTrailerBytes = maxTrailerBytes
        switch framing {
        case .contentLength(let length): self.state = .fixed(remaining: length)
        case .chunked: self.state = .chunkSize
        case .untilClose: self.state = .untilClose
        }
    }

    /// Whether the body ends only with the connection.
    var endsWithConnection: Bool {
        if case .untilClose = self.state { return true }
        return false
    }

    /// Consumes body bytes from `buffer` and returns the next event, or nil when more
    /// bytes are needed. After `.end`, the bytes left in `buffer` belong to the next message.
    mutating func next(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        switch self.state {
        case .fixed(let remaining):
            if remaining == 0 {
                self.state = .finished
                return .end(nil)
            }
            if buffer.readableBytes == 0 { return nil }
            let n = min(remaining, buffer.readableBytes)
            // The last piece comes on its own; `.end` follows on the next call: one event at a time.
            self.state = .fixed(remaining: remaining - n)
            return .body(buffer.readSlice(length: n)!)
        case .chunkSize:
            return try self.readChunkSize(&buffer)
        case .chunkData(let remaining):
            if buffer.readableBytes == 0 { return nil }
            let n = min(remaining, buffer.readableBytes)
            let slice = buffer.readSlice(length: n)!
            self.state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            return .body(slice)
        case .chunkDataEnd:
            guard buffer.readableBytes >= 2 else { return nil }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                throw .badRequest("chunk data not followed by CRLF")
            }
            self.state = .chunkSize
            return try self.readChunkSize(&buffer)
        case .trailers:
            return try self.readTrailers(&buffer)
        case .untilClose:
            if buffer.readableBytes == 0 { return nil }
            return .body(buffer.readSlice(length: buffer.readableBytes)!)
        case .finished:
            return nil
        }
    }

    /// The connection closed: the end of an until-close body; nil when the body was
    /// cut short.
    mutating func endOfInput() -> Event? {
        guard case .untilClose = self.state else { return nil }
        self.state = .finished
        return .end(nil)
    }

    private mutating func readChunkSize(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        guard let lineEnd = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxChunkSizeLine { throw .badRequest("chunk size line too long") }
            return nil
        }
        let lineLength = lineEnd - buffer.readerIndex + 1
        guard lineLength <= Self.maxChunkSizeLine else { throw .badRequest("chunk size line too long") }
        let line = buffer.readSlice(length: lineLength)!
        let size = try Self.chunkSize(line)
        if size == 0 {
            self.state = .trailers
            self.trailerBytes = 0
            return try self.readTrailers(&buffer)
        }
        self.state = .chunkData(remaining: size)
        return try self.next(&buffer)
    }

    /// `chunk-size [ chunk-ext ] CRLF` with the size in hex, at most 15 digits so it fits an Int.
    static func chunkSize(_ line: ByteBuffer) throws(RequestParseError) -> Int {
        let view = line.readableBytesView
        guard view.count >= 2, view[view.endIndex - 2] == UInt8(ascii: "\r") else {
            throw .badRequest("chunk size line not ended by CRLF")
        }
        var size = 0
        var digits = 0
        var index = view.startIndex
        let end = view.endIndex - 2
        while index < end, let digit = hexValue(view[index]) {
            digits += 1
            guard digits <= 15 else { throw .badRequest("chunk size too large") }
            size = size << 4 | digit
            index += 1
        }
        guard digits > 0 else { throw .badRequest("bad chunk size") }
        // After the size only chunk extensions may follow: BWS ";" ...
        while index < end, FieldValue.isWhitespace(view[index]) { index += 1 }
        if index < end {
            guard view[index] == UInt8(ascii: ";") else { throw .badRequest("bad chunk size") }
            while index < end {
                let byte = view[index]
                guard byte == UInt8(ascii: "\t") || (byte >= 0x20 && byte != 0x7F) else {
                    throw .badRequest("control character in chunk extension")
                }
                index += 1
            }
        }
        return size
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }

    /// The trailer section after the last chunk: validated field by field, counted
    /// against the header limit, and collected.
    private mutating func readTrailers(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        while true {
            guard let lineEnd = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                if self.trailerBytes + buffer.readableBytes > self.maxTrailerBytes {
                    throw .headersTooLarge(limit: self.maxTrailerBytes)
                }
                return nil
            }
            let lineLength = lineEnd - buffer.readerIndex + 1
            self.trailerBytes += lineLength
            guard self.trailerBytes <= self.maxTrailerBytes else {
                throw .headersTooLarge(limit: self.maxTrailerBytes)
            }
            let line = buffer.readSlice(length: lineLength)!
            let view = line.readableBytesView
            guard view.count >= 2, view[view.endIndex - 2] == UInt8(ascii: "\r") else {
                throw .badRequest("bare LF line ending in trailers")
            }
            if view.count == 2 {
                self.state = .finished
                let trailers = self.trailers
                self.trailers = nil
                return .end(trailers)
            }
            let field = line.getSlice(at: line.readerIndex, length: view.count - 2)!
            let (name, value) = try field.withUnsafeReadableBytes { bytes throws(RequestParseError) in
                let (name, value) = try HeadReader.splitField(bytes)
                return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
            }
            if self.trailers == nil { self.trailers = HTTPHeaders() }
            self.trailers!.add(name: name, value: value)
        }
    }
}
