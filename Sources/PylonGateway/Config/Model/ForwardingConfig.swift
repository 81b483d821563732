/// Which forwarding headers the gateway adds to requests it sends upstream.
public struct ForwardingConfig: Sendable, Equatable {
    /// Append the client's IP to `X-Forwarded-For` (`x_forwarded_for`); default true.
    public var xForwardedFor: Bool
    /// Set `X-Forwarded-Proto` to the client's scheme (`x_forwarded_proto`); default true.
    public var xForwardedProto: Bool
    /// Add `Via: 1.1 pylon` to requests and responses (`via`); default true.
    public var via: Bool
    /// Pass the client's Host upstream instead of the target's address (`preserve_host`); default true.
    /// A route's `request_headers.set` of `Host` wins over both.
    public var preserveHost: Bool

    public init(xForwardedFor: Bool = true, xForwardedProto: Bool = true, via: Bool = true, preserveHost: Bool = true) {
        self.xForwardedFor = xForwardedFor
        self.xForwardedProto = xForwardedProto
        self.via = via
        self.preserveHost = preserveHost
    }
}
