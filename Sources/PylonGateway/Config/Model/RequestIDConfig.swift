/// Request IDs (`request_id`): every request gets one, which travels upstream and back to
/// the client in `header` and is written in the access log.
public struct RequestIDConfig: Sendable, Equatable {
    /// Handle request IDs at all (`enabled`); default true. When false the header passes
    /// through like any other and the access log shows `-`.
    public var enabled: Bool
    /// The header carrying the ID in both directions (`header`); default `X-Request-Id`.
    public var header: String
    /// Make an ID (a random UUID) when the request has no well-formed one (`generate`);
    /// default true. When false only a well-formed incoming ID is passed on.
    ///
    /// An incoming ID is kept when it is one field of 1-128 visible ASCII characters;
    /// anything else is replaced (or, without `generate`, dropped).
    public var generate: Bool

    public init(enabled: Bool = true, header: String = "X-Request-Id", generate: Bool = true) {
        self.enabled = enabled
        self.header = header
        self.generate = generate
    }
}
