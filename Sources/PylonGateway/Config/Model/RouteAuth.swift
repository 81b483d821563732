/// A route's shared-secret check: the request's `header` must equal `secret` exactly,
/// compared in constant time; otherwise the gateway answers 403.
public struct RouteAuth: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Request header that carries the secret (`header`, e.g. `Authorization`); required.
    public var header: String
    /// The value the header must have (`equals_secret`); required, not empty.
    public var secret: String

    public init(header: String, secret: String) {
        self.header = header
        self.secret = secret
    }

    /// Leaves the secret out, so printing a config (or a failing test's diff) does not leak it.
    public var description: String {
        "RouteAuth(header: \(header), secret: <redacted>)"
    }

    public var debugDescription: String {
        description
    }
}
