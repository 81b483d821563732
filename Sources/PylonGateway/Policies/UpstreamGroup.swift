import Atomics
import Logging
import NIOCore
import NIOHTTP1
import PylonProxy

/// An upstream's resolved targets, their shared health and load, and its balancer.
///
/// Targets are resolved once, when the gateway is built (host names through the system
/// resolver, off the event loop); every start of a generation builds the gateway anew, so
/// an upgrade picks up DNS changes. Nothing here resolves or blocks per request.
final class UpstreamGroup: Sendable {
    let name: String
    let peers: [HTTPPeer]
    let weights: [Int]
    /// Each target's words in the shared health table, in the order of `peers`.
    let health: [TargetHealth]
    /// Keeps the memory `health` points into mapped.
    private let table: TargetHealthTable
    /// Extra connect attempts for one request after the first fails.
    let retries: Int
    let balancer: any TargetBalancer
    /// What consistent hashing hashes; nil for the other strategies.
    let hashKey: BalanceHashKey?
    let healthCheck: HealthCheckConfig?
    let passive: PassiveHealthConfig?
    /// Requests in flight are counted only when the balancer reads them.
    let tracksLoad: Bool
    /// The last time "no healthy target" was logged, so an outage logs once a second, not per request.
    private let lastRefusalLog = ManagedAtomic<UInt64>(0)

    init(
        name: String, peers: [HTTPPeer], retries: Int, table: TargetHealthTable,
        balance: BalanceStrategy = .roundRobin, weights: [Int]? = nil, hashKey: BalanceHashKey? = nil,
        healthCheck: HealthCheckConfig? = nil, passive: PassiveHealthConfig? = nil
    ) {
        precondition(!peers.isEmpty, "an upstream has at least one target")
        let weights = weights ?? Array(repeating: 1, count: peers.count)
        self.name = name
        self.peers = peers
        self.weights = weights
        self.health = peers.map { table.target(upstream: name, address: $0.name) }
        self.table = table
        self.retries = retries
        self.balancer = balance.makeBalancer(weights: weights, keys: peers.map(\.name))
        self.hashKey = hashKey
        self.healthCheck = healthCheck
        self.passive = passive
        self.tracksLoad = self.balancer.usesLoad
    }

    /// Resolves `config`'s targets (host names through the system resolver: call this at
    /// start-up, never on an event loop).
    static func resolve(_ config: UpstreamConfig, table: TargetHealthTable) throws -> UpstreamGroup {
        // One TLS context per upstream, shared by its targets; each target has its own SNI.
        let tlsContext = try config.tls.map { try UpstreamTLSContext($0, httpProtocol: config.httpProtocol) }
        let peers = try config.targets.map { target in
            HTTPPeer(
                address: try SocketAddress.makeAddressResolvingHost(target.host, port: target.port),
                name: target.description,
                connectTimeout: TimeAmount(config.connectTimeout),
                readTimeout: TimeAmount(config.readTimeout),
                maxIdleConnections: config.maxIdle,
                idleTimeout: TimeAmount(config.idleTimeout),
                tls: tlsContext.map { UpstreamTLS(context: $0, serverName: config.tls?.sni ?? target.tlsServerName) },
                httpVersion: config.httpProtocol == .http2 ? .http2 : .http1_1,
                http2PingInterval: config.pingInterval.map(TimeAmount.init),
                http2PingTimeout: TimeAmount(config.pingTimeout)
            )
        }
        return UpstreamGroup(
            name: config.name, peers: peers, retries: config.retries, table: table, balance: config.balance,
            weights: config.targets.indices.map(config.weight(at:)), hashKey: config.hashKey,
            healthCheck: config.healthCheck, passive: config.passive
        )
    }

    // MARK: Picking

    /// Whether any target may take a request now.
    func hasServableTarget() -> Bool {
        let candidates = Candidates(health: self.health, tried: 0)
        return self.health.indices.contains { candidates.isEligible($0) }
    }

    /// A servable target the request has not tried yet, by the balancer; nil if there is none.
    func pick(keyHash: UInt64, excluding tried: UInt64 = 0) -> Int? {
        self.balancer.pick(from: Candidates(health: self.health, tried: tried), keyHash: keyHash)
    }

    /// Where a request goes, always an answer: a servable untried target; else a servable
    /// one tried already (a refused connect may be a restart in progress); else — health
    /// changed since `requestFilter` saw a servable target — any target, so the request
    /// fails on its own connect rather than on a decision it cannot see.
    func choose(keyHash: UInt64, tried: UInt64) -> Int {
        if let index = self.pick(keyHash: keyHash, excluding: tried) { return index }
        if tried != 0, let index = self.pick(keyHash: keyHash) { return index }
        return self.balancer.pick(from: AllTargets(count: self.peers.count), keyHash: keyHash) ?? 0
    }

    /// The hash of the request's key for consistent hashing (0 for other strategies).
    func keyHash(_ session: ProxySession, clientIP: String?) -> UInt64 {
        // Read from the session only when hashing: most upstreams do not.
        guard let hashKey = self.hashKey else { return 0 }
        switch hashKey {
        case .clientIP:
            return ConsistentHashBalancer.hash(clientIP ?? "")
        case .path:
            return ConsistentHashBalancer.hash(String(session.path))
        case .header(let name):
            return ConsistentHashBalancer.hash(session.request.headers.first(name: name) ?? clientIP ?? "")
        }
    }

    // MARK: Outcomes

    /// A request went to target `index`.
    func beginRequest(_ index: Int) {
        if self.tracksLoad { self.health[index].beginRequest() }
    }

    /// A request that went to target `index` is over, or moves on to another target.
    func endRequest(_ index: Int) {
        if self.tracksLoad { self.health[index].endRequest() }
    }

    /// A request to target `index` failed to connect or timed out: counts towards passive ejection.
    func recordFailure(_ index: Int, logger: Logger) {
        guard let passive = self.passive else { return }
        let cooldown = UInt64(clamping: TimeAmount(passive.cooldown).nanoseconds)
        let ejected = self.health[index].recordPassiveFailure(
            threshold: passive.failures, cooldownNanoseconds: cooldown, now: NIODeadline.now().uptimeNanoseconds
        )
        if ejected {
            logger.warning(
                "target ejected after consecutive failures",
                metadata: [
                    "upstream": "\(self.name)", "target": "\(self.peers[index].name)",
                    "failures": "\(passive.failures)", "cooldown": "\(passive.cooldown)",
                ]
            )
        }
    }

    /// A request to target `index` got a response.
    func recordSuccess(_ index: Int) {
        if self.passive != nil { self.health[index].recordPassiveSuccess() }
    }

    /// Whether to log a refusal now: at most once a second per upstream and worker.
    func shouldLogRefusal() -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        let last = self.lastRefusalLog.load(ordering: .relaxed)
        guard now &- last >= 1_000_000_000 || last == 0 else { return false }
        return self.lastRefusalLog.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
    }

    /// The upstream's targets as the balancer sees them for one request.
    private struct Candidates: BalancingCandidates {
        let health: [TargetHealth]
        /// Targets this request already tried (bit i = target i; targets past 64 are not tracked).
        let tried: UInt64

        var count: Int { self.health.count }

        func isEligible(_ index: Int) -> Bool {
            if index < 64, self.tried & (1 << UInt64(index)) != 0 { return false }
            return self.health[index].isServable(now: { NIODeadline.now().uptimeNanoseconds })
        }

        func load(_ index: Int) -> Int { self.health[index].inFlight }
    }

    /// Every target, healthy or not, idle: the last resort of `choose`.
    private struct AllTargets: BalancingCandidates {
        let count: Int
        func isEligible(_ index: Int) -> Bool { true }
        func load(_ index: Int) -> Int { 0 }
    }
}

extension HostAndPort {
    /// The SNI a target gets by default: its host name; none for an IP address.
    var tlsServerName: String? {
        try? ServerNameSyntax.parse(self.host, allowWildcard: false)
    }
}
