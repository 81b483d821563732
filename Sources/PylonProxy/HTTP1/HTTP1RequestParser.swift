public import NIOCore
public import NIOHTTP1

/// An incremental, strict HTTP/1.1 request parser (RFC 9112).
///
/// It is fed the connection's bytes and hands back one event at a time, so the
/// caller decides when to stop (a pipelined request waits in the buffer until the
/// current exchange is done). Strictness is the point: every ambiguity that lets two
/// parsers disagree about where a message ends — request smuggling — is an error
/// here: Content-Length with Transfer-Encoding, differing Content-Lengths, bad chunk
/// sizes, obs-fold, whitespace before a colon, bare CR or LF line endings.
public struct HTTP1RequestParser: Sendable {
    /// Size limits enforced while reading a head.
    public struct Limits: Sendable, Equatable {
        /// Longest request line (method, target, version) → 414 past it.
        public var maxRequestLine: Int
        /// Largest header block (every field line, excluding the request line) → 431 past it.
        /// The same limit bounds a chunked body's trailer section.
        public var maxHeaderBytes: Int

        public init(maxRequestLine: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024) {
            self.maxRequestLine = maxRequestLine
            self.maxHeaderBytes = maxHeaderBytes
        }
    }

    /// What the parser found next in the buffer.
    public enum Event: Sendable, Equatable {
        case head(HTTPRequestHead, RequestFraming)
        case body(ByteBuffer)
        case end
    }

    private enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
    }

    /// Longest chunk-size line we accept, extensions included: generous for real
    /// clients, small enough that a never-ending line cannot pin memory.
    static let maxChunkSizeLine = 4096

    public let limits: Limits
    private var state: State = .head
    /// Bytes of trailer lines consumed so far for the current message.
    private var trailerBytes = 0
    /// Set when a body-less head or the last body byte was handed out: `.end` is next.
    private var pendingEnd = false
    /// Where the scan of an incomplete head stopped; offsets are from the buffer's
    /// reader index, which does not move until the whole head has arrived.
    private var headScan = HeadScan()

    private struct HeadScan: Sendable {
        var scanned = 0
        var lineStart = 0
        var firstLineEnd: Int? = nil
    }

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// True between messages: nothing of the next request has been consumed yet.
    public var isAtMessageStart: Bool {
        if case .head = self.state { return !self.pendingEnd && self.headScan.scanned == 0 }
        return false
    }

    /// Consumes bytes from `buffer` and returns the next event, or nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        if self.pendingEnd {
            self.pendingEnd = false
            return .end
        }
        switch self.state {
        case .head:
            return try self.parseHead(&buffer)
        case .fixedBody(let remaining):
            if buffer.readableBytes == 0 { return nil }
            let n = min(remaining, buffer.readableBytes)
            let slice = buffer.readSlice(length: n)!
            if n == remaining {
                self.state = .head
                // The body is complete; `.end` comes from the next call: one event at a time.
                self.pendingEnd = true
            } else {
                self.state = .fixedBody(remaining: remaining - n)
            }
            return .body(slice)
        case .chunkSize:
            return try self.parseChunkSize(&buffer)
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
            return try self.parseChunkSize(&buffer)
        case .trailers:
            return try self.parseTrailers(&buffer)
        }
    }

}

// MARK: - Head

extension HTTP1RequestParser {
    private mutating func parseHead(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
        while self.headScan.scanned == 0, buffer.readableBytesView.first == UInt8(ascii: "\r") {
            guard buffer.readableBytes >= 2 else { return nil }
            guard buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A else {
                throw .badRequest("bare CR before request line")
            }
            buffer.moveReaderIndex(forwardBy: 2)
        }
        guard let headLength = try self.findHeadEnd(buffer) else { return nil }
        let headBytes = buffer.readSlice(length: headLength)!
        self.headScan = HeadScan()
        let (head, framing) = try Self.parseHeadBytes(headBytes)
        switch framing {
        case .none, .contentLength(0):
            self.pendingEnd = true
            return .head(head, .none)
        case .contentLength(let n):
            self.state = .fixedBody(remaining: n)
        case .chunked:
            self.state = .chunkSize
            self.trailerBytes = 0
        }
        return .head(head, framing)
    }

    /// Finds the length of a complete head (through its empty line), or checks the
    /// limits against what has arrived so far and remembers how far it looked.
    private mutating func findHeadEnd(_ buffer: ByteBuffer) throws(RequestParseError) -> Int? {
        let limits = self.limits
        var scan = self.headScan
        let result: Result<Int?, RequestParseError> = buffer.withUnsafeReadableBytes { bytes in
            var i = scan.scanned
            defer { scan.scanned = i }
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\n") {
                    guard i > 0, bytes[i - 1] == UInt8(ascii: "\r") else {
                        return .failure(.badRequest("bare LF line ending"))
                    }
                    if let firstLineEnd = scan.firstLineEnd {
                        if i - firstLineEnd > limits.maxHeaderBytes {
                            return .failure(.headersTooLarge(limit: limits.maxHeaderBytes))
                        }
                        if i - scan.lineStart == 1 { return .success(i + 1) }
                    } else {
                        if i - 1 > limits.maxRequestLine { return .failure(.uriTooLong(limit: limits.maxRequestLine)) }
                        scan.firstLineEnd = i
                    }
                    scan.lineStart = i + 1
                } else if byte == UInt8(ascii: "\r") {
                    // A CR must be followed by LF; look again next time if it is the last byte.
                    guard i + 1 < bytes.count else { return .success(nil) }
                    guard bytes[i + 1] == UInt8(ascii: "\n") else {
                        return .failure(.badRequest("bare CR in head"))
                    }
                }
                if let firstLineEnd = scan.firstLineEnd {
                    if i - firstLineEnd > limits.maxHeaderBytes {
                        return .failure(.headersTooLarge(limit: limits.maxHeaderBytes))
                    }
                } else if i >= limits.maxRequestLine, !(i == limits.maxRequestLine && byte == UInt8(ascii: "\r")) {
                    // Byte i is the (i+1)th of the line: over the limit unless it is the CR
                    // right after a line of exactly the maximum length.
                    return .failure(.uriTooLong(limit: limits.maxRequestLine))
                }
                i += 1
            }
            return .success(nil)
        }
        self.headScan = scan
        return try result.get()
    }

    /// Parses a complete head: request line, field lines, empty line.
    static func parseHeadBytes(_ head: ByteBuffer) throws(RequestParseError) -> (HTTPRequestHead, RequestFraming) {
        let parsed: Result<(HTTPRequestHead, RequestFraming), RequestParseError> = head.withUnsafeReadableBytes {
            bytes in
            do {
                return .success(try HeadReader(bytes: bytes).read())
            } catch let error as RequestParseError {
                return .failure(error)
            } catch {
                return .failure(.badRequest("unreadable head"))
            }
        }
        return try parsed.get()
    }
}

// MARK: - Chunked body

extension HTTP1RequestParser {
    private mutating func parseChunkSize(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
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
            return try self.parseTrailers(&buffer)
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
        while index < end, view[index] == UInt8(ascii: " ") || view[index] == UInt8(ascii: "\t") { index += 1 }
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

    /// The trailer section after the last chunk: validated, counted against the header
    /// limit, and dropped (Pylon forwards bodies, not trailers, over HTTP/1.1).
    private mutating func parseTrailers(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        while true {
            guard let lineEnd = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                if self.trailerBytes + buffer.readableBytes > self.limits.maxHeaderBytes {
                    throw .headersTooLarge(limit: self.limits.maxHeaderBytes)
                }
                return nil
            }
            let lineLength = lineEnd - buffer.readerIndex + 1
            self.trailerBytes += lineLength
            guard self.trailerBytes <= self.limits.maxHeaderBytes else {
                throw .headersTooLarge(limit: self.limits.maxHeaderBytes)
            }
            let line = buffer.readSlice(length: lineLength)!
            let view = line.readableBytesView
            guard view.count >= 2, view[view.endIndex - 2] == UInt8(ascii: "\r") else {
                throw .badRequest("bare LF line ending in trailers")
            }
            if view.count == 2 {
                self.state = .head
                self.trailerBytes = 0
                return .end
            }
            let field = line.getSlice(at: line.readerIndex, length: view.count - 2)!
            _ = try field.withUnsafeReadableBytes { bytes throws(RequestParseError) in
                try HeadReader.splitField(bytes)
            }
        }
    }
}
