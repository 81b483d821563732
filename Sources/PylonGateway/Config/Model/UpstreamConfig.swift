/// A named group of backend servers that routes send requests to.
public struct UpstreamConfig: Sendable, Equatable {
    /// The upstream's name, its key under `upstreams`; routes refer to it by this name.
    public var name: String
    /// Backend servers, `host:port`, host may be a name (`targets`); required, at least one.
    public var targets: [HostAndPort]
    /// How a request picks a target (`balance`); default `.roundRobin`.
    public var balance: BalanceStrategy
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
    /// Speak TLS to the targets (`tls`); default nil: plain HTTP.
    public var tls: UpstreamTLSConfig?

    public init(
        name: String,
        targets: [HostAndPort],
        balance: BalanceStrategy = .roundRobin,
        connectTimeout: Duration = .seconds(2),
        readTimeout: Duration = .seconds(30),
        maxIdle: Int = 64,
        idleTimeout: Duration = .seconds(60),
        retries: Int = 1,
        tls: UpstreamTLSConfig? = nil
    ) {
        self.name = name
        self.targets = targets
        self.balance = balance
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxIdle = maxIdle
        self.idleTimeout = idleTimeout
        self.retries = retries
        self.tls = tls
    }
}

/// How an upstream spreads requests over its targets. An enum so each new strategy is a
/// compile-time prompt to every `switch` that has to handle it.
public enum BalanceStrategy: String, Sendable, Equatable, CaseIterable {
    /// Each request goes to the next target in turn (`round_robin`).
    case roundRobin = "round_robin"
}
