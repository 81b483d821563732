/// How a request's body is delimited on the wire (RFC 9112 §6.3).
public enum RequestFraming: Sendable, Equatable {
    /// No body: neither Content-Length nor Transfer-Encoding, or `Content-Length: 0`.
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked`; the length is unknown until the last chunk.
    case chunked

    /// Whether a body follows the head at all.
    public var hasBody: Bool {
        switch self {
        case .none: false
        case .contentLength(let n): n > 0
        case .chunked: true
        }
    }
}
