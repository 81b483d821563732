/// Why a request could not be read, and the status the client is answered with.
///
/// Every parse error ends the connection: once framing is in doubt, nothing after
/// the bad byte can be trusted to belong to the next request (RFC 9112 §11.2).
public struct RequestParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status code sent to the client (400, 408, 413, 414, 431, 501 or 505).
    public var status: Int
    /// A short reason for the access log and the error body.
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(self.status) \(self.reason)" }

    static func badRequest(_ reason: String) -> RequestParseError { .init(status: 400, reason: reason) }
    static func uriTooLong(limit: Int) -> RequestParseError {
        .init(status: 414, reason: "request line longer than \(limit) bytes")
    }
    static func headersTooLarge(limit: Int) -> RequestParseError {
        .init(status: 431, reason: "header block larger than \(limit) bytes")
    }
}
