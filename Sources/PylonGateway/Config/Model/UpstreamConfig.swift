/// A named group of backend servers that routes send requests to.
public struct UpstreamConfig: Sendable, Equatable {
    /// The upstream's name, its key under `upstreams`; routes refer to it by this name.
    public var name: String
    /// Backend servers, `host:port`, host may be a name (`targets`); required, at least one.
    /// A target is written as `"host:port"` or `{address: "host:port", weight: 3}`. Host
    /// names are resolved when a generation of workers starts (so every upgrade picks up
    /// DNS changes), never per request.
    public var targets: [HostAndPort]
    /// Each target's weight, in the order of `targets` (`weight` of a target); 1...1000,
    /// default 1. Only the weighted strategies use it: a weight other than 1 with
    /// `round_robin` is a config error. A missing entry counts as 1.
    public var weights: [Int]
    /// How a request picks a target (`balance`); default `.roundRobin`.
    public var balance: BalanceStrategy
    /// What `consistent_hash` hashes (`hash_key`); required with it, an error with any other strategy.
    public var hashKey: BalanceHashKey?
    /// Time allowed to establish a connection to a target (`connect_timeout`); default 2s.
    public var connectTimeout: Duration
    /// Time allowed between two reads from the target (`read_timeout`); default 30s.
    public var readTimeout: Duration
    /// Idle connections kept pooled per target per event loop (`max_idle`); default 64, 0 = no pooling.
    public var maxIdle: Int
    /// How long a pooled idle connection is kept before closing it (`idle_timeout`); default 60s.
    public var idleTimeout: Duration
    /// Extra attempts after a connect failure, idempotent requests only (`retries`); default 1.
    public var retries: Int
    /// Active health checks, run by one worker for the whole service (`health_check`);
    /// default nil: no active checks, every target counts as up.
    public var healthCheck: HealthCheckConfig?
    /// Passive ejection after consecutive failed requests (`passive`); default nil: off.
    public var passive: PassiveHealthConfig?
    /// Speak TLS to the targets (`tls`); default nil: plain HTTP.
    public var tls: UpstreamTLSConfig?
    /// HTTP/1.1 or HTTP/2 to the targets (`protocol`); default `.http1`. Health checks of
    /// `http` kind speak it too.
    public var httpProtocol: UpstreamProtocol
    /// HTTP/2 only: silence after which a connection is PINGed (`ping_interval`, at least
    /// 1s); default nil: no PINGs.
    public var pingInterval: Duration?
    /// Close a PINGed connection that sends nothing, not even the ACK, for this long
    /// (`ping_timeout`; only with `ping_interval`); default 20s, as on listeners.
    public var pingTimeout: Duration

    public init(
        name: String,
        targets: [HostAndPort],
        balance: BalanceStrategy = .roundRobin,
        connectTimeout: Duration = .seconds(2),
        readTimeout: Duration = .seconds(30),
        maxIdle: Int = 64,
        idleTimeout: Duration = .seconds(60),
        retries: Int = 1,
        weights: [Int]? = nil,
        hashKey: BalanceHashKey? = nil,
        healthCheck: HealthCheckConfig? = nil,
        passive: PassiveHealthConfig? = nil,
        tls: UpstreamTLSConfig? = nil,
        httpProtocol: UpstreamProtocol = .http1,
        pingInterval: Duration? = nil,
        pingTimeout: Duration = .seconds(20)
    ) {
        self.name = name
        self.targets = targets
        self.weights = weights ?? Array(repeating: 1, count: targets.count)
        self.balance = balance
        self.hashKey = hashKey
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxIdle = maxIdle
        self.idleTimeout = idleTimeout
        self.retries = retries
        self.healthCheck = healthCheck
        self.passive = passive
        self.tls = tls
        self.httpProtocol = httpProtocol
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
    }

    /// The weight of the target at `index` (1 when `weights` has no entry for it).
    public func weight(at index: Int) -> Int {
        index < self.weights.count ? self.weights[index] : 1
    }
}

/// How an upstream spreads requests over its targets. An enum so each new strategy is a
/// compile-time prompt to every `switch` that has to handle it.
public enum BalanceStrategy: String, Sendable, Equatable, CaseIterable {
    /// Each request goes to the next target in turn (`round_robin`); weights are not used.
    case roundRobin = "round_robin"
    /// Turns in proportion to the weights, interleaved smoothly (`weighted_round_robin`):
    /// weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
    case weightedRoundRobin = "weighted_round_robin"
    /// The target with the fewest requests in flight across all workers, relative to its
    /// weight (`least_connections`).
    case leastConnections = "least_connections"
    /// Two random targets, the less loaded of them (`power_of_two`): nearly as good as
    /// least connections, without looking at every target.
    case powerOfTwo = "power_of_two"
    /// Ketama consistent hashing of `hash_key` (`consistent_hash`): a key keeps its target,
    /// and removing one of N targets moves only about 1/N of the keys.
    case consistentHash = "consistent_hash"
}

/// What `consistent_hash` hashes for each request.
public enum BalanceHashKey: Sendable, Equatable, CustomStringConvertible {
    /// The client's IP as the gateway trusts it (`client_ip`).
    case clientIP
    /// The request path without its query (`path`).
    case path
    /// The first value of a request header (`header:NAME`); a request without it hashes its
    /// client IP instead, so such requests still spread over the targets.
    case header(String)

    /// As written in the config.
    public var description: String {
        switch self {
        case .clientIP: "client_ip"
        case .path: "path"
        case .header(let name): "header:\(name)"
        }
    }
}
