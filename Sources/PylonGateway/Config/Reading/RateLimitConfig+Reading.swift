extension RateLimitConfig {
    static let keys = ["key", "rate", "burst"]

    /// The most requests a bucket may hold: more would be no limit at all, and the bucket's
    /// time arithmetic must stay far from overflow even at the slowest rate (1/h).
    static let maxBurst = 1_000_000

    static func read(from node: ConfigNode) -> RateLimitConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let rate = map.required("rate").flatMap {
            $0.parsed(expected: "a rate such as 10/s, 600/m or 1000/h", by: RequestRateSyntax.parse)
        }
        var key = RateLimitKey.clientIP
        map.readOptional("key", into: &key) {
            $0.parsed(expected: "client_ip, api_key or header:NAME", by: RateLimitKey.parse)
        }
        let burst = map.optional("burst")?.int(in: 1...maxBurst)
        guard let rate, map.optional("burst") == nil || burst != nil else {
            return nil
        }
        return RateLimitConfig(key: key, rate: rate, burst: burst)
    }
}

extension RateLimitKey {
    static func parse(_ text: String) throws(ValueSyntaxError) -> RateLimitKey {
        switch text {
        case "client_ip": return .clientIP
        case "api_key": return .apiKey
        default:
            guard text.hasPrefix("header:") else {
                throw ValueSyntaxError("\"\(text)\" is not a rate-limit key; use client_ip, api_key or header:NAME (e.g. header:X-Tenant)")
            }
            let name = text.dropFirst("header:".count).trimmingPrefix(" ")
            return .header(try HeaderRules.parseName(String(name)))
        }
    }
}

extension RouteRateLimit {
    /// A route's `rate_limit`: `off`, or a mapping like the top-level one.
    static func read(from node: ConfigNode) -> RouteRateLimit? {
        if case .scalar(let scalar) = node.node, !node.isNull {
            guard scalar.string == "off" else {
                node.report("expected off or a mapping with rate (and optionally key, burst), found \"\(scalar.string)\"")
                return nil
            }
            return .off
        }
        return RateLimitConfig.read(from: node).map(RouteRateLimit.custom)
    }
}
