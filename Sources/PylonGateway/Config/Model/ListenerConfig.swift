/// A socket the gateway accepts client connections on.
public struct ListenerConfig: Sendable, Equatable {
    /// Unique name (`name`), also matched against systemd's `LISTEN_FDNAMES`; required.
    public var name: String
    /// IP address and port to bind (`address`, e.g. `0.0.0.0:6191` or `[::]:6191`); required.
    public var address: HostAndPort
    /// Kernel accept-queue length passed to `listen()` (`backlog`); default 1024.
    public var backlog: Int
    /// Require a PROXY protocol header (v1 or v2) at the start of every connection
    /// (`proxy_protocol`), as HAProxy's `accept-proxy` does; default false. Only peers in
    /// `trusted_proxies` may connect; any other connection, and any connection that does
    /// not start with a valid header, is closed. The header's source address is the client.
    /// On a TLS listener the header comes first, in clear, before the handshake.
    public var proxyProtocol: Bool
    /// Serve HTTPS here (`tls`); default nil: plain HTTP.
    public var tls: ListenerTLSConfig?
    /// Answer every request on this plain listener with `308 Permanent Redirect` to the same
    /// URL over HTTPS on this port (`redirect_to_https`); default nil: proxy as usual.
    public var redirectToHTTPSPort: Int?
    /// HTTP/2 on this TLS listener (`http2`; only with `tls`): offered in ALPN, with the
    /// settings, limits and timers of `HTTP2Config`; default on, with its defaults.
    public var http2: HTTP2Config

    public init(
        name: String, address: HostAndPort, backlog: Int = 1024, proxyProtocol: Bool = false,
        tls: ListenerTLSConfig? = nil, redirectToHTTPSPort: Int? = nil, http2: HTTP2Config = HTTP2Config()
    ) {
        self.name = name
        self.address = address
        self.backlog = backlog
        self.proxyProtocol = proxyProtocol
        self.tls = tls
        self.redirectToHTTPSPort = redirectToHTTPSPort
        self.http2 = http2
    }
}
