/// A socket the gateway accepts client connections on.
public struct ListenerConfig: Sendable, Equatable {
    /// Unique name (`name`), also matched against systemd's `LISTEN_FDNAMES`; required.
    public var name: String
    /// IP address and port to bind (`address`, e.g. `0.0.0.0:6191` or `[::]:6191`); required.
    public var address: HostAndPort
    /// Kernel accept-queue length passed to `listen()` (`backlog`); default 1024.
    public var backlog: Int
    /// Serve HTTPS here (`tls`); default nil: plain HTTP.
    public var tls: ListenerTLSConfig?
    /// Answer every request on this plain listener with `308 Permanent Redirect` to the same
    /// URL over HTTPS on this port (`redirect_to_https`); default nil: proxy as usual.
    public var redirectToHTTPSPort: Int?

    public init(
        name: String, address: HostAndPort, backlog: Int = 1024, tls: ListenerTLSConfig? = nil, redirectToHTTPSPort: Int? = nil
    ) {
        self.name = name
        self.address = address
        self.backlog = backlog
        self.tls = tls
        self.redirectToHTTPSPort = redirectToHTTPSPort
    }
}
