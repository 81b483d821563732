public import NIOCore

/// How the proxy treats clients and upstream connections; one per server.
public struct ProxyServerConfiguration: Sendable {
    /// Request-line and header-block limits (→ 414, 431).
    public var parserLimits = HTTP1RequestParser.Limits()
    /// Largest request body accepted, in bytes; nil = no limit (→ 413).
    public var maxRequestBody: Int? = 64 * 1024 * 1024
    /// Time allowed for a request head to arrive completely (→ 408). Also bounds how
    /// long a fresh connection may stay silent.
    public var headerTimeout: TimeAmount = .seconds(10)
    /// How long a kept-alive connection may sit idle between requests.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// Largest gap between two reads of a request body (→ 408, or close once answered).
    public var bodyTimeout: TimeAmount = .seconds(60)
    /// Most requests an HTTP/1.1 connection serves: the last one's response says
    /// `Connection: close`. nil = no limit.
    public var maxRequestsPerConnection: Int?
    /// How long an HTTP/1.1 connection takes new requests: the first that starts later
    /// is answered with `Connection: close`. nil = no limit.
    public var maxKeepAliveTime: TimeAmount?
    /// After Pylon half-closes a connection, how long it keeps reading (and discarding)
    /// so the client's in-flight bytes never turn the close into a reset.
    public var lingerTimeout: TimeAmount = .seconds(2)
    /// Which forwarding headers are added to upstream requests.
    public var forwarding = Forwarding()
    /// The listen backlog for sockets the server binds or adopts.
    public var backlog: Int32 = 1024
    /// Response fields sent to HTTP/2 clients without indexing (RFC 7541 §6.2.2): a field
    /// whose value is new in every response, such as a request ID, would only evict
    /// reusable entries from the HPACK dynamic table, at the cost of a table insert each
    /// time. Names in any case; kept lowercase, as HTTP/2 sends them.
    public var unindexedResponseFields: [String] = [] {
        didSet { self.unindexedResponseFields = self.unindexedResponseFields.map { $0.lowercased() } }
    }

    public init() {}

    /// RFC 7239-era de-facto forwarding headers and RFC 9110 §7.6.3 Via.
    public struct Forwarding: Sendable {
        /// Append the client's address to X-Forwarded-For.
        public var xForwardedFor = true
        /// Set X-Forwarded-Proto to the listener's scheme.
        public var xForwardedProto = true
        /// Append `1.1 <viaName>` to Via.
        public var via = true
        /// The pseudonym in Via.
        public var viaName = "pylon" {
            didSet { self.viaElementForHTTP11 = Self.viaElement(self.viaName) }
        }
        /// `1.1 <viaName>`, made once: nearly every message Pylon forwards came in as HTTP/1.1.
        private(set) var viaElementForHTTP11: String = Self.viaElement("pylon")

        private static func viaElement(_ name: String) -> String { "1.1 \(name)" }

        public init() {}
    }
}
