public import NIOCore

/// Where a request goes upstream, and how patiently: the answer of `ProxyHTTP.upstreamPeer`.
///
/// The fields live in one shared, immutable storage object: a peer is copied several
/// times per request (out of the balancer, into the session, to the pool), and copying
/// one reference costs one reference count where copying each field cost one per string,
/// address and TLS context.
public struct HTTPPeer: Sendable, Hashable, CustomStringConvertible {
    private var storage: Storage

    /// The upstream's socket address, resolved before the request (never on the event loop).
    public var address: SocketAddress {
        get { self.storage.fields.address }
        set { self.edit { $0.address = newValue } }
    }
    /// How the peer is named in logs and metrics, e.g. `127.0.0.1:9001` or `api.internal:80`.
    public var name: String {
        get { self.storage.fields.name }
        set { self.edit { $0.name = newValue } }
    }
    /// Time allowed for the TCP connect → 504 past it.
    public var connectTimeout: TimeAmount {
        get { self.storage.fields.connectTimeout }
        set { self.edit { $0.connectTimeout = newValue } }
    }
    /// Time allowed between two reads of the upstream response (and for the response
    /// head after the request was sent) → 504 before the head, a closed connection after.
    public var readTimeout: TimeAmount {
        get { self.storage.fields.readTimeout }
        set { self.edit { $0.readTimeout = newValue } }
    }
    /// Idle connections to this peer kept per event loop for reuse.
    public var maxIdleConnections: Int {
        get { self.storage.fields.maxIdleConnections }
        set { self.edit { $0.maxIdleConnections = newValue } }
    }
    /// How long an idle pooled connection is kept before Pylon closes it; keep it below
    /// the upstream's own keep-alive timeout so Pylon, not the upstream, closes first.
    public var idleTimeout: TimeAmount {
        get { self.storage.fields.idleTimeout }
        set { self.edit { $0.idleTimeout = newValue } }
    }
    /// TLS towards the peer; nil speaks plain HTTP.
    public var tls: UpstreamTLS? {
        get { self.storage.fields.tls }
        set { self.edit { $0.tls = newValue } }
    }
    /// HTTP/1.1 or HTTP/2 towards the peer. For HTTP/2 over TLS, `tls`'s context must offer
    /// `h2` in ALPN (`UpstreamTLSContext(applicationProtocols: ["h2"])`).
    public var httpVersion: UpstreamHTTPVersion {
        get { self.storage.fields.httpVersion }
        set { self.edit { $0.httpVersion = newValue } }
    }

    public init(
        address: SocketAddress,
        name: String? = nil,
        connectTimeout: TimeAmount = .seconds(2),
        readTimeout: TimeAmount = .seconds(30),
        maxIdleConnections: Int = 64,
        idleTimeout: TimeAmount = .seconds(60),
        tls: UpstreamTLS? = nil,
        httpVersion: UpstreamHTTPVersion = .http1_1,
        http2PingInterval: TimeAmount? = nil,
        http2PingTimeout: TimeAmount = .seconds(20)
    ) {
        self.storage = Storage(
            Fields(
                address: address, name: name ?? address.ipAddressAndPort, connectTimeout: connectTimeout,
                readTimeout: readTimeout, maxIdleConnections: maxIdleConnections, idleTimeout: idleTimeout, tls: tls,
                httpVersion: httpVersion, http2PingInterval: http2PingInterval, http2PingTimeout: http2PingTimeout
            )
        )
    }

    /// HTTP/2 only: a connection that brought nothing for this long gets a PING, and one that
    /// brings nothing within `http2PingTimeout` after it is taken for dead and closed,
    /// failing its streams (502) instead of letting them wait out `readTimeout`, and sparing
    /// later requests a stream on it. Nil: no PINGs (the default; a gRPC server, for one,
    /// answers frequent PINGs on a silent connection with GOAWAY `ENHANCE_YOUR_CALM`).
    public var http2PingInterval: TimeAmount? {
        get { self.storage.fields.http2PingInterval }
        set { self.edit { $0.http2PingInterval = newValue } }
    }
    /// How long after its PING a silent HTTP/2 connection is taken for dead; only with
    /// `http2PingInterval`.
    public var http2PingTimeout: TimeAmount {
        get { self.storage.fields.http2PingTimeout }
        set { self.edit { $0.http2PingTimeout = newValue } }
    }

    public var description: String { self.name }

    /// Connections are pooled per address, TLS identity and HTTP version: two peers with
    /// different timeouts still share sockets, a plain and a TLS peer on one address never do.
    var poolKey: UpstreamPoolKey { self.storage.poolKey }

    /// Peers are changed while being configured, not per request: each change makes new storage.
    private mutating func edit(_ change: (inout Fields) -> Void) {
        var fields = self.storage.fields
        change(&fields)
        self.storage = Storage(fields)
    }

    public static func == (lhs: HTTPPeer, rhs: HTTPPeer) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.storage.fields)
    }

    private struct Fields: Sendable, Hashable {
        var address: SocketAddress
        var name: String
        var connectTimeout: TimeAmount
        var readTimeout: TimeAmount
        var maxIdleConnections: Int
        var idleTimeout: TimeAmount
        var tls: UpstreamTLS?
        var httpVersion: UpstreamHTTPVersion
        var http2PingInterval: TimeAmount?
        var http2PingTimeout: TimeAmount
    }

    private final class Storage: Sendable {
        let fields: Fields
        /// Made with the fields rather than on every use: the pool looks it up per request.
        let poolKey: UpstreamPoolKey

        init(_ fields: Fields) {
            self.fields = fields
            self.poolKey = UpstreamPoolKey(address: fields.address, tls: fields.tls, httpVersion: fields.httpVersion)
        }
    }
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
