/// The whole gateway config file, validated: every upstream a route names exists, listener names
/// are unique, and every value is in range. Built by `ConfigLoader`.
public struct GatewayConfig: Sendable, Equatable {
    /// How many worker processes to run (`workers`); default `.auto`.
    public var workers: WorkerCount
    /// How long a draining worker may keep serving before it is killed (`drain_timeout`); default 30s.
    public var drainTimeout: Duration
    /// Sockets to accept client connections on, in file order (`listeners`); required, at least one.
    public var listeners: [ListenerConfig]
    /// Where to serve Prometheus metrics (`metrics`); default nil: no metrics listener.
    public var metrics: MetricsConfig?
    /// Named groups of backend servers, in file order (`upstreams`); required, at least one.
    public var upstreams: [UpstreamConfig]
    /// Request routing rules, in file order; the first that matches wins (`routes`); required, at least one.
    public var routes: [RouteConfig]
    /// Header edits on every request sent upstream, before the route's own (`request_headers`); default none.
    public var requestHeaders: HeaderRules
    /// Header edits on every response sent to the client, before the route's own (`response_headers`); default none.
    public var responseHeaders: HeaderRules
    /// Which forwarding headers the gateway adds (`forwarding`); default all on.
    public var forwarding: ForwardingConfig
    /// Client request size limits and timeouts (`limits`); defaults in `LimitsConfig`.
    public var limits: LimitsConfig
    /// Per-request log lines (`access_log`); default on, logfmt.
    public var accessLog: AccessLogConfig
    /// The rate limit of every route that has none of its own (`rate_limit`); default nil (or `off`) = no limit.
    public var rateLimit: RateLimitConfig?
    /// The proxies and load balancers whose word about the client is believed
    /// (`trusted_proxies`: addresses or CIDR ranges, IPv4 and IPv6); default none. Their
    /// PROXY protocol headers are accepted (on `proxy_protocol` listeners) and their
    /// X-Forwarded-For entries walked to find the client; everyone else's X-Forwarded-For
    /// is dropped and the connection's address is the client.
    public var trustedProxies: [IPNetwork]
    /// Request IDs (`request_id`); default on, `X-Request-Id`, generated when absent.
    public var requestID: RequestIDConfig

    public init(
        workers: WorkerCount = .auto,
        drainTimeout: Duration = .seconds(30),
        listeners: [ListenerConfig],
        metrics: MetricsConfig? = nil,
        upstreams: [UpstreamConfig],
        routes: [RouteConfig],
        requestHeaders: HeaderRules = HeaderRules(),
        responseHeaders: HeaderRules = HeaderRules(),
        forwarding: ForwardingConfig = ForwardingConfig(),
        limits: LimitsConfig = LimitsConfig(),
        accessLog: AccessLogConfig = AccessLogConfig(),
        rateLimit: RateLimitConfig? = nil,
        trustedProxies: [IPNetwork] = [],
        requestID: RequestIDConfig = RequestIDConfig()
    ) {
        self.workers = workers
        self.drainTimeout = drainTimeout
        self.listeners = listeners
        self.metrics = metrics
        self.upstreams = upstreams
        self.routes = routes
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.forwarding = forwarding
        self.limits = limits
        self.accessLog = accessLog
        self.rateLimit = rateLimit
        self.trustedProxies = trustedProxies
        self.requestID = requestID
    }

    /// The upstream called `name`, if the config defines one.
    public func upstream(named name: String) -> UpstreamConfig? {
        upstreams.first { $0.name == name }
    }
}
