/// An upstream's active health check (`health_check`): one worker of the service probes
/// every target each `interval`; `fall` consecutive failed probes take a target out of
/// rotation, `rise` consecutive good ones bring it back.
public struct HealthCheckConfig: Sendable, Equatable {
    /// What a probe does.
    public enum Probe: Sendable, Equatable {
        /// A TCP connect that completes within `timeout` (`tcp`).
        case tcp
        /// `GET path` answered with `expectStatus` within `timeout` (`http`). `host` is the
        /// Host header sent; nil sends the target's `host:port`.
        case http(path: String, expectStatus: Int, host: String?)
    }

    /// `tcp: {…}` or `http: {…}`; exactly one is required.
    public var probe: Probe
    /// Time between two probes of a target (`interval`); default 1s, at least 10ms.
    public var interval: Duration
    /// Time a probe may take, connect included (`timeout`); default 1s.
    public var timeout: Duration
    /// Consecutive good probes that bring a down target back (`rise`); 1...100, default 2.
    public var rise: Int
    /// Consecutive failed probes that take an up target out (`fall`); 1...100, default 3.
    public var fall: Int

    public init(
        probe: Probe, interval: Duration = .seconds(1), timeout: Duration = .seconds(1), rise: Int = 2, fall: Int = 3
    ) {
        self.probe = probe
        self.interval = interval
        self.timeout = timeout
        self.rise = rise
        self.fall = fall
    }
}

/// Passive ejection (`passive`): a target whose requests fail `failures` times in a row —
/// connect refused, connect or read timeout — is skipped for `cooldown`, by every worker.
/// A request that gets a response resets the count.
public struct PassiveHealthConfig: Sendable, Equatable {
    /// Consecutive failures that eject a target (`failures`); 1...1000, default 3.
    public var failures: Int
    /// How long an ejected target is skipped (`cooldown`); default 10s. After it, the
    /// target is tried again and needs another `failures` failures to be ejected again.
    public var cooldown: Duration

    public init(failures: Int = 3, cooldown: Duration = .seconds(10)) {
        self.failures = failures
        self.cooldown = cooldown
    }
}
