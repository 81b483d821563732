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
        case head(RequestHead, RequestFraming)
        case body(ByteBuffer)
        /// The request is complete; a chunked body may end with trailer fields, as sent
        /// (what of them may go on is `TrailerFields.forwardable`'s to say).
        case end(HTTPHeaders?)
    }

    private enum State: Sendable, HTTP1BodyDecoderState {
        case head
        case body(HTTP1BodyDecoder)

        static var afterBody: Self { .head }
        var bodyDecoder: HTTP1BodyDecoder? {
            if case .body(let decoder) = self { return decoder }
            return nil
        }
    }

    public let limits: Limits
    /// Whether the client keeps the connection open after the request whose `.head` was
    /// handed out last (RFC 9112 §9.3): HTTP/1.1 unless `Connection` says `close`, HTTP/1.0
    /// only when it says `keep-alive`. Set with every `.head` event.
    public private(set) var headKeepsAlive = true
    private var state: State = .head
    /// Set when a body-less head was handed out: `.end` is next.
    private var pendingEnd = false
    private var headScanner: HeadScanner

    public init(limits: Limits = Limits()) {
        self.limits = limits
        self.headScanner = HeadScanner(maxStartLine: limits.maxRequestLine, maxFieldBytes: limits.maxHeaderBytes)
    }

    /// True between messages: nothing of the next request has been consumed yet.
    public var isAtMessageStart: Bool {
        if case .head = self.state { return !self.pendingEnd && self.headScanner.isAtStart }
        return false
    }

    /// Consumes bytes from `buffer` and returns the next event, or nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        if self.pendingEnd {
            self.pendingEnd = false
            return .end(nil)
        }
        switch self.state {
        case .head:
            return try self.parseHead(&buffer)
        case .body:
            switch try self.state.nextBodyEvent(&buffer) {
            case .body(let piece): return .body(piece)
            case .end(let trailers): return .end(trailers)
            case nil: return nil
            }
        }
    }

}

// MARK: - Head

extension HTTP1RequestParser {
    private mutating func parseHead(_ buffer: inout ByteBuffer) throws(RequestParseError) -> Event? {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
        while self.headScanner.isAtStart, buffer.readableBytesView.first == UInt8(ascii: "\r") {
            guard buffer.readableBytes >= 2 else { return nil }
            guard buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A else {
                throw .badRequest("bare CR before request line")
            }
            buffer.moveReaderIndex(forwardBy: 2)
        }
        let headLength: Int
        do {
            guard let length = try self.headScanner.headLength(in: buffer) else { return nil }
            headLength = length
        } catch {
            throw self.requestError(error)
        }
        let headBytes = buffer.readSlice(length: headLength)!
        let fieldLines = self.headScanner.lineCount - 1
        self.headScanner.reset()
        let (head, framing, keepsAlive) = try Self.parseHeadBytes(headBytes, fieldLines: fieldLines)
        self.headKeepsAlive = keepsAlive
        switch framing {
        case .none, .contentLength(0):
            self.pendingEnd = true
            return .head(head, .none)
        case .contentLength(let n):
            self.state = .body(HTTP1BodyDecoder(.contentLength(n), maxTrailerBytes: self.limits.maxHeaderBytes))
        case .chunked:
            self.state = .body(HTTP1BodyDecoder(.chunked, maxTrailerBytes: self.limits.maxHeaderBytes))
        }
        return .head(head, framing)
    }

    private func requestError(_ failure: HeadScanner.Failure) -> RequestParseError {
        switch failure {
        case .bareLF: .badRequest("bare LF line ending")
        case .bareCR: .badRequest("bare CR in head")
        case .startLineTooLong: .uriTooLong(limit: self.limits.maxRequestLine)
        case .fieldsTooLarge: .headersTooLarge(limit: self.limits.maxHeaderBytes)
        }
    }

    /// A parsed head: the request, its body's framing, and whether the client keeps the connection.
    typealias ParsedHead = (head: RequestHead, framing: RequestFraming, keepsAlive: Bool)

    /// Parses a complete head: request line, field lines, empty line.
    static func parseHeadBytes(_ head: ByteBuffer, fieldLines: Int = 16) throws(RequestParseError) -> ParsedHead {
        let parsed: Result<ParsedHead, RequestParseError> = head.withUnsafeReadableBytes { bytes in
            do {
                return .success(try HeadReader(bytes: bytes, fieldLines: fieldLines).read())
            } catch let error as RequestParseError {
                return .failure(error)
            } catch {
                return .failure(.badRequest("unreadable head"))
            }
        }
        return try parsed.get()
    }
}
