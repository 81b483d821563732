public import NIOCore

/// A socket the server accepts clients on: bound by the server, or an already
/// listening socket handed to it (by a supervising process or systemd).
public struct ProxyListener: Sendable {
    public enum Socket: Sendable {
        /// Bind and listen on this address (SO_REUSEADDR).
        case bind(SocketAddress)
        /// Accept on this inherited, already listening descriptor. The server closes only
        /// its own copy; other holders keep accepting.
        case adopt(fileDescriptor: CInt)
    }

    /// The listener's name, as configured; sessions carry it.
    public var name: String
    public var socket: Socket
    /// Certificates and protocol versions when clients speak TLS here; nil for plain HTTP.
    public var tls: TLSListenerConfiguration?
    /// `http`, or `https` on a TLS listener (what X-Forwarded-Proto says).
    public var scheme: String { self.tls == nil ? "http" : "https" }
    /// Set: every connection must start with a PROXY protocol header from a source the
    /// policy accepts (see `ProxyProtocolPolicy`), before any TLS. Nil: no header is
    /// expected, and one that comes is just bytes that are not HTTP (400).
    public var proxyProtocol: ProxyProtocolPolicy?
    /// HTTP/2 on a TLS listener: whether ALPN offers it, and the settings, limits and timers
    /// of each connection that chose it. Unused on a plain listener.
    public var http2: HTTP2ServerConfiguration

    public init(
        name: String, socket: Socket, tls: TLSListenerConfiguration? = nil, proxyProtocol: ProxyProtocolPolicy? = nil,
        http2: HTTP2ServerConfiguration = HTTP2ServerConfiguration()
    ) {
        self.name = name
        self.socket = socket
        self.tls = tls
        self.proxyProtocol = proxyProtocol
        self.http2 = http2
    }
}
