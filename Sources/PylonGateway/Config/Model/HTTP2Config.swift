/// HTTP/2 on a TLS listener (`http2`), which clients choose through ALPN: the settings each
/// connection is sent, the abuse limits that close a connection with `ENHANCE_YOUR_CALM`,
/// keep-alive PINGs and a maximum connection age. Every value is checked against RFC 9113's
/// ranges when the config loads; the defaults suit browsers and API clients alike.
public struct HTTP2Config: Sendable, Equatable {
    /// At most `count` events per `window`, written `200/30s` (or `100/s`: one of the unit).
    public struct EventRate: Sendable, Equatable, CustomStringConvertible {
        /// At least 1.
        public var count: Int
        public var window: Duration

        public init(count: Int, per window: Duration) {
            self.count = count
            self.window = window
        }

        public var description: String { "\(count)/\(window)" }
    }

    /// Offer HTTP/2 in ALPN (`enabled`); default true. False: every client of the listener
    /// speaks HTTP/1.1.
    public var enabled: Bool
    /// Streams a client may have open at once (`max_concurrent_streams`, sent as
    /// SETTINGS_MAX_CONCURRENT_STREAMS); default 100. More are refused with REFUSED_STREAM,
    /// which clients retry. Each stream may hold an upstream connection.
    public var maxConcurrentStreams: Int
    /// Request body a client may send on one stream ahead of what the upstream has taken
    /// (`initial_stream_window`, sent as SETTINGS_INITIAL_WINDOW_SIZE); default 256KiB, at
    /// most 2^31−1 bytes.
    public var initialStreamWindow: Int
    /// Request body a client may send ahead on all its streams together (`connection_window`,
    /// announced with a WINDOW_UPDATE); default 1MiB, from 65535 bytes (every connection's
    /// starting window) to 2^31−1.
    public var connectionWindow: Int
    /// Largest header list (decoded) a request may have (`max_header_list_size`, sent as
    /// SETTINGS_MAX_HEADER_LIST_SIZE); a larger one ends the connection. Default nil:
    /// `limits.max_header_bytes` + `limits.max_request_line`, so HTTP/1.1 and HTTP/2
    /// accept the same requests.
    public var maxHeaderListSize: Int?
    /// Largest frame a client may send (`max_frame_size`, SETTINGS_MAX_FRAME_SIZE); default
    /// 16KiB, from 16384 to 16777215 bytes.
    public var maxFrameSize: Int
    /// RST_STREAM frames a client may send (`max_resets`: rapid reset, CVE-2023-44487);
    /// default 200/30s.
    public var maxResets: EventRate
    /// Streams a client may make fail with protocol errors (`max_stream_errors`); default 200/30s.
    public var maxStreamErrors: EventRate
    /// PING, SETTINGS and PRIORITY frames a client may send (`max_control_frames`); default 200/30s.
    public var maxControlFrames: EventRate
    /// Streams a client may make fail over a connection's whole life, however slowly
    /// (`max_glitches`); default 200.
    public var maxGlitches: Int
    /// After this long with nothing from the client, send it a PING (`ping_interval`, at
    /// least 1s); default nil: no keep-alive PINGs.
    public var pingInterval: Duration?
    /// Close the connection when the client sends nothing, not even the PING's ACK, for this
    /// long after a keep-alive PING (`ping_timeout`; only with `ping_interval`); default 20s.
    public var pingTimeout: Duration
    /// Close connections this old gracefully, as a drain does (`max_connection_age`; each
    /// connection's age is spread by ±10 %), so long-lived clients reconnect and spread over
    /// workers and generations; default nil: no limit. gRPC's MAX_CONNECTION_AGE.
    public var maxConnectionAge: Duration?
    /// How long streams still open at the maximum age may run before the connection is
    /// closed under them (`max_connection_age_grace`; only with `max_connection_age`);
    /// default nil: until they finish. gRPC's MAX_CONNECTION_AGE_GRACE.
    public var maxConnectionAgeGrace: Duration?

    public init(
        enabled: Bool = true,
        maxConcurrentStreams: Int = 100,
        initialStreamWindow: Int = 256 << 10,
        connectionWindow: Int = 1 << 20,
        maxHeaderListSize: Int? = nil,
        maxFrameSize: Int = 16 << 10,
        maxResets: EventRate = EventRate(count: 200, per: .seconds(30)),
        maxStreamErrors: EventRate = EventRate(count: 200, per: .seconds(30)),
        maxControlFrames: EventRate = EventRate(count: 200, per: .seconds(30)),
        maxGlitches: Int = 200,
        pingInterval: Duration? = nil,
        pingTimeout: Duration = .seconds(20),
        maxConnectionAge: Duration? = nil,
        maxConnectionAgeGrace: Duration? = nil
    ) {
        self.enabled = enabled
        self.maxConcurrentStreams = maxConcurrentStreams
        self.initialStreamWindow = initialStreamWindow
        self.connectionWindow = connectionWindow
        self.maxHeaderListSize = maxHeaderListSize
        self.maxFrameSize = maxFrameSize
        self.maxResets = maxResets
        self.maxStreamErrors = maxStreamErrors
        self.maxControlFrames = maxControlFrames
        self.maxGlitches = maxGlitches
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.maxConnectionAge = maxConnectionAge
        self.maxConnectionAgeGrace = maxConnectionAgeGrace
    }
}
