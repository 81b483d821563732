public import NIOCore

/// Where a request goes upstream, and how patiently: the answer of `ProxyHTTP.upstreamPeer`.
public struct HTTPPeer: Sendable, Hashable, CustomStringConvertible {
    /// The upstream's socket address, resolved before the request (never on the event loop).
    public var address: SocketAddress
    /// How the peer is named in logs and metrics, e.g. `127.0.0.1:9001` or `api.internal:80`.
    public var name: String
    /// Time allowed for the TCP connect → 504 past it.
    public var connectTimeout: TimeAmount
    /// Time allowed between two reads of the upstream response (and for the response
    /// head after the request was sent) → 504 before the head, a closed connection after.
    public var readTimeout: TimeAmount
    /// Idle connections to this peer kept per event loop for reuse.
    public var maxIdleConnections: Int
    /// How long an idle pooled connection is kept before Pylon closes it; keep it below
    /// the upstream's own keep-alive timeout so Pylon, not the upstream, closes first.
    public var idleTimeout: TimeAmount
    /// TLS towards the peer; nil speaks plain HTTP.
    public var tls: UpstreamTLS?
    /// HTTP/1.1 or HTTP/2 towards the peer. For HTTP/2 over TLS, `tls`'s context must offer
    /// `h2` in ALPN (`UpstreamTLSContext(applicationProtocols: ["h2"])`).
    public var httpVersion: UpstreamHTTPVersion

    public init(
        address: SocketAddress,
        name: String? = nil,
        connectTimeout: TimeAmount = .seconds(2),
        readTimeout: TimeAmount = .seconds(30),
        maxIdleConnections: Int = 64,
        idleTimeout: TimeAmount = .seconds(60),
        tls: UpstreamTLS? = nil,
        httpVersion: UpstreamHTTPVersion = .http1_1
    ) {
        self.address = address
        self.name = name ?? address.ipAddressAndPort
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxIdleConnections = maxIdleConnections
        self.idleTimeout = idleTimeout
        self.tls = tls
        self.httpVersion = httpVersion
    }

    public var description: String { self.name }

    /// Connections are pooled per address, TLS identity and HTTP version: two peers with
    /// different timeouts still share sockets, a plain and a TLS peer on one address never do.
    var poolKey: UpstreamPoolKey { UpstreamPoolKey(address: self.address, tls: self.tls, httpVersion: self.httpVersion) }
}

extension SocketAddress {
    /// `1.2.3.4:80` or `[::1]:80`, the way operators write addresses.
    public var ipAddressAndPort: String {
        let ip = self.ipAddress ?? "?"
        let port = self.port.map(String.init) ?? "?"
        if case .v6 = self { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
