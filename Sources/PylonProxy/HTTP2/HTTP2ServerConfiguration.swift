public import NIOCore

/// How a TLS listener serves HTTP/2 (ALPN `h2`): the settings each client is sent, the abuse
/// limits past which a connection is closed, keep-alive PINGs and a maximum connection age.
/// The defaults are what the server has always used; `HTTP2ServerLimits` turns the values
/// into nio-http2's configuration and `HTTP2ClientConnection` runs the timers.
public struct HTTP2ServerConfiguration: Sendable, Equatable {
    /// At most `count` events per `window`; one more closes the connection with
    /// `ENHANCE_YOUR_CALM`.
    public struct RateLimit: Sendable, Equatable {
        public var count: Int
        public var window: TimeAmount

        public init(count: Int, window: TimeAmount) {
            self.count = count
            self.window = window
        }
    }

    /// PINGs to a client that has gone quiet: after `interval` with nothing read from it, a
    /// PING; if nothing (normally the PING's ACK) arrives within `timeout`, the connection is
    /// closed. Finds clients that vanished without a FIN (NAT timeouts, pulled cables) and keeps
    /// middleboxes from dropping quiet connections.
    public struct KeepAlive: Sendable, Equatable {
        public var interval: TimeAmount
        public var timeout: TimeAmount

        public init(interval: TimeAmount, timeout: TimeAmount) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    /// Offer `h2` in ALPN. Off: every client on the listener speaks HTTP/1.1.
    public var enabled = true
    /// Streams a client may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`); more are
    /// refused with `REFUSED_STREAM`. Each stream may hold an upstream connection.
    public var maxConcurrentStreams = 100
    /// Per-stream receive window (`SETTINGS_INITIAL_WINDOW_SIZE`): how much request body a
    /// client may send ahead of what the upstream accepted. Window updates follow reads, and
    /// a stream is only read while its upstream is writable.
    public var initialStreamWindow = 256 * 1024
    /// Connection receive window: room for several streams' bodies at once. Announced with a
    /// WINDOW_UPDATE right after the server's SETTINGS.
    public var connectionWindow = 1024 * 1024
    /// Largest decoded header list accepted (`SETTINGS_MAX_HEADER_LIST_SIZE`); a larger one
    /// ends the connection. Nil: the HTTP/1 header-size limit plus the request-line limit, so
    /// the same request is accepted or refused over either protocol.
    public var maxHeaderListSize: Int?
    /// Largest frame payload accepted (`SETTINGS_MAX_FRAME_SIZE`), 16384 through 16777215.
    public var maxFrameSize = 1 << 14
    /// RST_STREAM frames a client may send (rapid reset, CVE-2023-44487).
    public var streamResetLimit = RateLimit(count: 200, window: .seconds(30))
    /// Streams a client may make fail with protocol errors.
    public var streamErrorLimit = RateLimit(count: 200, window: .seconds(30))
    /// PING, SETTINGS and PRIORITY frames a client may send (control-frame floods).
    public var controlFrameLimit = RateLimit(count: 200, window: .seconds(30))
    /// Protocol "glitches" (nio-http2 counts the streams a client made fail) a connection may
    /// have over its whole life, however slowly they come.
    public var maxGlitches = 200
    /// Keep-alive PINGs; nil: none are sent.
    public var keepAlive: KeepAlive?
    /// After this long a connection is closed gracefully, with the same two GOAWAYs as a
    /// drain, so long-lived clients reconnect and spread over workers and generations. Each
    /// connection's age is spread by up to ±10 % so clients that connected together do not
    /// all reconnect together. Nil: connections live as long as they are used.
    public var maxConnectionAge: TimeAmount?
    /// How long streams still open when the maximum age closes a connection may run on
    /// before the connection is closed under them. Nil: until they finish.
    public var maxConnectionAgeGrace: TimeAmount?

    public init() {}
}
