package import NIOCore
package import NIOHTTP1

/// Why an upstream's bytes are not a response Pylon will forward; the request gets 502.
package struct ResponseParseError: Error, Sendable, Equatable, CustomStringConvertible {
    var reason: String
    package var description: String { self.reason }
}

/// An incremental, strict HTTP/1.1 response parser for upstream connections (RFC 9112).
///
/// Heads are validated as strictly as requests are: a response whose end is ambiguous
/// (Content-Length with Transfer-Encoding, differing lengths, bad chunk sizes, obs-fold,
/// bare CR or LF) would let the proxy and the client disagree about the next message,
/// so it ends in a 502 instead, as RFC 9112 §5.2 and §6.3 allow a proxy to do.
package struct HTTP1ResponseParser: Sendable {
    package struct Limits: Sendable {
        var maxStatusLine = 8 * 1024
        var maxHeaderBytes = 64 * 1024
    }

    package enum Event: Sendable, Equatable {
        /// A response head: 1xx interim ones, then the final one.
        case head(ResponseHead)
        case body(ByteBuffer)
        /// The response is complete; a chunked one may carry trailer fields.
        case end(HTTPHeaders?)
    }

    private enum State: Sendable, HTTP1BodyDecoderState {
        /// No request is outstanding: any byte is out of step.
        case idle
        /// Reading the head of the response to a request with this method.
        case head(requestMethod: HTTPMethod)
        case body(HTTP1BodyDecoder)
        /// A body-less final head was handed out: `.end` is next.
        case pendingEnd

        static var afterBody: Self { .idle }
        var bodyDecoder: HTTP1BodyDecoder? {
            if case .body(let decoder) = self { return decoder }
            return nil
        }
    }

    let limits: Limits
    private var state: State = .idle
    /// Whether the last head read lets the connection stay open after its response.
    private(set) var lastHeadKeepsAlive = true
    /// The body length the last head announced in Content-Length, if it did.
    private(set) var lastHeadContentLength: Int?
    private var headScanner: HeadScanner

    package init(limits: Limits = Limits()) {
        self.limits = limits
        self.headScanner = HeadScanner(maxStartLine: limits.maxStatusLine, maxFieldBytes: limits.maxHeaderBytes)
    }

    /// A request with `method` was sent: its response is next (a HEAD's has no body).
    package mutating func expectResponse(to method: HTTPMethod) {
        self.state = .head(requestMethod: method)
        self.headScanner.reset()
    }

    /// Whether the response being read ends only when the connection closes.
    var bodyEndsWithConnection: Bool {
        if case .body(let decoder) = self.state { return decoder.endsWithConnection }
        return false
    }

    /// Consumes bytes from `buffer` and returns the next event, or nil when more bytes
    /// are needed. Bytes left after `.end` (or while idle) were sent out of turn.
    package mutating func next(_ buffer: inout ByteBuffer) throws(ResponseParseError) -> Event? {
        switch self.state {
        case .idle:
            return nil
        case .pendingEnd:
            self.state = .idle
            return .end(nil)
        case .head(let method):
            return try self.parseHead(&buffer, requestMethod: method)
        case .body:
            let event: HTTP1BodyDecoder.Event?
            do {
                event = try self.state.nextBodyEvent(&buffer)
            } catch {
                throw ResponseParseError(reason: error.reason)
            }
            switch event {
            case .body(let piece): return .body(piece)
            case .end(let trailers): return .end(trailers)
            case nil: return nil
            }
        }
    }

    /// The connection closed: `.end` for a body that runs until the close, nil when the
    /// response was cut short (or none was expected).
    mutating func endOfInput() -> Event? {
        guard case .body(var decoder) = self.state, case .end(let trailers) = decoder.endOfInput() else { return nil }
        self.state = .idle
        return .end(trailers)
    }

    private mutating func parseHead(_ buffer: inout ByteBuffer, requestMethod: HTTPMethod) throws(ResponseParseError) -> Event? {
        let headLength: Int
        do {
            guard let length = try self.headScanner.headLength(in: buffer) else { return nil }
            headLength = length
        } catch {
            throw ResponseParseError(reason: self.reason(error))
        }
        let headBytes = buffer.readSlice(length: headLength)!
        let fieldLines = self.headScanner.lineCount - 1
        self.headScanner.reset()
        let parsed: Result<ResponseHeadReader.Result, ResponseParseError> = headBytes.withUnsafeReadableBytes {
            bytes in
            do {
                return .success(try ResponseHeadReader(bytes: bytes, fieldLines: fieldLines).read())
            } catch let error as ResponseParseError {
                return .failure(error)
            } catch {
                return .failure(ResponseParseError(reason: "unreadable response head"))
            }
        }
        let result = try parsed.get()
        let head = result.head
        let framing = result.framing
        self.lastHeadKeepsAlive = result.keepsAlive
        if case .contentLength(let length) = framing { self.lastHeadContentLength = length } else { self.lastHeadContentLength = nil }
        let code = head.status.code
        if code == 101 {
            // Upgrade is a hop-by-hop field Pylon never forwards, so no upstream was asked to switch.
            throw ResponseParseError(reason: "upstream switched protocols unasked")
        }
        if code < 200 {
            // Interim: the final response to the same request follows.
            return .head(head)
        }
        // RFC 9112 §6.3 rule 1: these never have a body, whatever their fields say.
        if requestMethod.isHEAD || code == 204 || code == 304 {
            self.state = .pendingEnd
            return .head(head)
        }
        switch framing {
        case .contentLength(0):
            self.state = .pendingEnd
        case .contentLength(let length):
            self.state = .body(HTTP1BodyDecoder(.contentLength(length), maxTrailerBytes: self.limits.maxHeaderBytes))
        case .chunked:
            self.state = .body(HTTP1BodyDecoder(.chunked, maxTrailerBytes: self.limits.maxHeaderBytes))
        case .untilClose:
            self.state = .body(HTTP1BodyDecoder(.untilClose, maxTrailerBytes: self.limits.maxHeaderBytes))
        }
        return .head(head)
    }

    private func reason(_ failure: HeadScanner.Failure) -> String {
        switch failure {
        case .bareLF: "bare LF line ending in response head"
        case .bareCR: "bare CR in response head"
        case .startLineTooLong: "status line longer than \(self.limits.maxStatusLine) bytes"
        case .fieldsTooLarge: "response header block larger than \(self.limits.maxHeaderBytes) bytes"
        }
    }
}

/// How an upstream delimits the body of a response that may have one (RFC 9112 §6.3).
enum ResponseBodyFraming: Sendable, Equatable {
    case contentLength(Int)
    case chunked
    case untilClose
}
