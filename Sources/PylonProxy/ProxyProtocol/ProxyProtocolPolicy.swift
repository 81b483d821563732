public import NIOCore

/// Makes a listener require a PROXY protocol header (v1 or v2) at the start of every
/// connection, as HAProxy's `accept-proxy` does: the header is never optional on such a
/// listener, since guessing would let any client choose its own address.
///
/// - A connection whose TCP peer `acceptsSource` refuses is closed before a byte is read.
/// - A connection from an accepted peer must start with a complete, valid header within
///   `timeout`; anything else (plain HTTP, garbage, an oversize or truncated header) closes
///   it with a log line. v2 `LOCAL` and v1 `UNKNOWN` headers (a balancer's health checks)
///   are valid: the connection keeps its own addresses.
/// - The header's source address is then `ProxySession.proxyProtocolSource` for every
///   request on the connection, and the client address in `X-Forwarded-For`.
public struct ProxyProtocolPolicy: Sendable {
    /// Whether a TCP peer may send a PROXY header (the trusted proxies, load balancers).
    public var acceptsSource: @Sendable (SocketAddress) -> Bool
    /// How long the header may take to arrive; nil uses the server's `headerTimeout`.
    public var timeout: TimeAmount?
    /// Largest v2 address-and-TLV block accepted (the 16-byte fixed part not counted).
    public var maxV2Length: Int

    public init(
        timeout: TimeAmount? = nil,
        maxV2Length: Int = ProxyProtocolDecoder.defaultMaxV2Length,
        acceptsSource: @escaping @Sendable (SocketAddress) -> Bool
    ) {
        self.acceptsSource = acceptsSource
        self.timeout = timeout
        self.maxV2Length = maxV2Length
    }
}
