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
    /// An incoming ID is kept when `trustIncoming` allows it and it is one field of 1-128
    /// visible ASCII characters; anything else is replaced (or, without `generate`, dropped).
    public var generate: Bool
    /// Whose incoming ID is kept (`trust_incoming`); default `.trustedProxies`.
    public var trustIncoming: IncomingRequestIDTrust

    public init(
        enabled: Bool = true, header: String = "X-Request-Id", generate: Bool = true,
        trustIncoming: IncomingRequestIDTrust = .trustedProxies
    ) {
        self.enabled = enabled
        self.header = header
        self.generate = generate
        self.trustIncoming = trustIncoming
    }
}

/// Whose request ID the gateway keeps instead of making its own.
///
/// Anyone can put any ID in a request, so an ID straight from the internet can collide
/// with another request's on purpose, or pretend to belong to a trace it has nothing to do
/// with. Only a proxy the operator runs in front is believed by default, as with
/// `X-Forwarded-For`.
public enum IncomingRequestIDTrust: String, Sendable, Equatable, CaseIterable {
    /// Every client's ID is kept (`always`): for a gateway only trusted clients reach.
    case always
    /// Only the ID a peer in `trusted_proxies` sends is kept (`trusted_proxies`): on a
    /// `proxy_protocol` listener the PROXY header's source is that peer, so an L4 balancer
    /// in front does not make its clients' IDs trusted.
    case trustedProxies = "trusted_proxies"
    /// No incoming ID is kept (`never`): every request gets a new one.
    case never
}
