/// Every rate limit of the gateway and which route counts against which: routes without a
/// `rate_limit` of their own share the top-level limit's buckets, a route with its own has
/// buckets of its own, and `rate_limit: off` routes have none.
struct RouteRateLimits: Sendable {
    /// The policy name of the top-level limit.
    static let defaultPolicyName = "default"

    let limiters: [RateLimiter]
    /// For each route (by index), its limiter's index in `limiters`, or nil.
    private let limiterOfRoute: [Int?]

    init(config: GatewayConfig, routeNames: [String], sharedMemory: SharedMemorySegment) {
        let table = RateLimitTable(segment: sharedMemory)
        var limiters: [RateLimiter] = []
        var shared: Int?
        if let rateLimit = config.rateLimit {
            limiters.append(RateLimiter(policyName: Self.defaultPolicyName, config: rateLimit, table: table, hashKey: sharedMemory.hashKey))
            shared = 0
        }
        var limiterOfRoute: [Int?] = []
        for (route, name) in zip(config.routes, routeNames) {
            switch route.rateLimit {
            case .inherit:
                limiterOfRoute.append(shared)
            case .off:
                limiterOfRoute.append(nil)
            case .custom(let rateLimit):
                limiterOfRoute.append(limiters.count)
                limiters.append(RateLimiter(policyName: name, config: rateLimit, table: table, hashKey: sharedMemory.hashKey))
            }
        }
        self.limiters = limiters
        self.limiterOfRoute = limiterOfRoute
    }

    /// The index of the limiter route `index` counts against, nil when it is not limited.
    func limiter(ofRoute index: Int) -> Int? {
        self.limiterOfRoute[index]
    }
}
