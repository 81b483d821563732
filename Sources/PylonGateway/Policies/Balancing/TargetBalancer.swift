/// What a balancer sees of an upstream's targets at the moment it picks one.
protocol BalancingCandidates {
    /// How many targets the upstream has; indices are `0..<count`.
    var count: Int { get }
    /// Whether target `index` may take this request: healthy, not ejected, not already
    /// tried for it.
    func isEligible(_ index: Int) -> Bool
    /// Requests in flight to target `index`, across all workers.
    func load(_ index: Int) -> Int
}

/// One load-balancing algorithm over an upstream's targets. Implementations are shared
/// by every event loop of a worker, so whatever state they keep is atomic.
protocol TargetBalancer: Sendable {
    /// Picks an eligible target, or nil when none is eligible. `keyHash` is the request's
    /// hashed key; only consistent hashing looks at it.
    func pick(from candidates: some BalancingCandidates, keyHash: UInt64) -> Int?

    /// Whether picks depend on `load`: only then are requests in flight counted, which
    /// costs two atomic writes to shared memory per request.
    var usesLoad: Bool { get }
}

extension TargetBalancer {
    var usesLoad: Bool { false }
}

extension BalanceStrategy {
    /// A balancer of this strategy for targets with these weights (named by `keys`, which
    /// consistent hashing places on its ring).
    func makeBalancer(weights: [Int], keys: [String]) -> any TargetBalancer {
        switch self {
        case .roundRobin: RoundRobinBalancer(count: weights.count)
        case .weightedRoundRobin: WeightedRoundRobinBalancer(weights: weights)
        case .leastConnections: LeastConnectionsBalancer(weights: weights)
        case .powerOfTwo: PowerOfTwoChoicesBalancer(weights: weights)
        case .consistentHash: ConsistentHashBalancer(keys: keys, weights: weights)
        }
    }
}

/// Whether `a` is less loaded than `b` relative to their weights: `loadA / weightA <
/// loadB / weightB`, compared by cross-multiplying to stay in integers.
@inline(__always)
func isLessLoaded(_ loadA: Int, weight weightA: Int, than loadB: Int, weight weightB: Int) -> Bool {
    loadA * weightB < loadB * weightA
}
