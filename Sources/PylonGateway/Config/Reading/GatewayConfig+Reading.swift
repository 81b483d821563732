extension GatewayConfig {
    static let keys = [
        "workers", "drain_timeout", "listeners", "metrics", "upstreams", "routes",
        "request_headers", "response_headers", "forwarding", "limits", "access_log", "rate_limit",
        "trusted_proxies", "request_id",
    ]

    /// Reads the whole document. Returns nil when any problem was reported, so a config that is
    /// returned is complete and valid.
    static func read(from root: ConfigNode) -> GatewayConfig? {
        guard case .mapping = root.node else {
            root.report(
                "the top level must be a mapping with keys such as listeners, upstreams and routes; found \(root.kindDescription)"
            )
            return nil
        }
        guard let map = root.mapping(keys: keys) else {
            return nil
        }
        let trustedProxies = map.optional("trusted_proxies").flatMap(IPNetwork.readList(from:))
        // A trusted_proxies list with a bad entry was reported already; one problem is enough.
        let hasTrustedProxies = trustedProxies.map { !$0.isEmpty } ?? (map.optional("trusted_proxies") != nil)
        let listeners = map.required("listeners").flatMap {
            ListenerConfig.readList(from: $0, hasTrustedProxies: hasTrustedProxies)
        }
        let upstreams = map.required("upstreams").flatMap(UpstreamConfig.readAll(from:))
        // Without an upstreams section every route would also be reported; one problem is enough.
        let routes = map.required("routes").flatMap { RouteConfig.readList(from: $0, upstreamNames: upstreams?.declaredNames) }

        var config = GatewayConfig(listeners: listeners ?? [], upstreams: upstreams?.configs ?? [], routes: routes ?? [])
        map.readOptional("workers", into: &config.workers, WorkerCount.read(from:))
        map.readOptional("drain_timeout", into: &config.drainTimeout) { $0.duration() }
        config.metrics = map.optional("metrics").flatMap(MetricsConfig.read(from:))
        map.readOptional("request_headers", into: &config.requestHeaders) { HeaderRules.read(from: $0, direction: .request) }
        map.readOptional("response_headers", into: &config.responseHeaders) { HeaderRules.read(from: $0, direction: .response) }
        map.readOptional("forwarding", into: &config.forwarding, ForwardingConfig.read(from:))
        map.readOptional("limits", into: &config.limits, LimitsConfig.read(from:))
        map.readOptional("access_log", into: &config.accessLog, AccessLogConfig.read(from:))
        if case .custom(let rateLimit) = map.optional("rate_limit").flatMap(RouteRateLimit.read(from:)) {
            config.rateLimit = rateLimit
        }
        config.trustedProxies = trustedProxies ?? []
        map.readOptional("request_id", into: &config.requestID, RequestIDConfig.read(from:))

        if let metrics = config.metrics, let clash = config.listeners.first(where: { $0.address == metrics.address }) {
            map.optional("metrics")?.lookup("address")?.report(
                "\(metrics.address) is already the address of listener \"\(clash.name)\""
            )
        }
        guard root.problems.isEmpty, listeners != nil, upstreams != nil, routes != nil else {
            return nil
        }
        return config
    }
}
