extension RouteConfig {
    static let keys = ["path_prefix", "host", "upstream", "auth", "request_headers", "response_headers", "rate_limit"]

    /// Reads the `routes` list. `upstreamNames` is nil when the upstreams could not be read, and
    /// then routes are not checked against it.
    static func readList(from node: ConfigNode, upstreamNames: Set<String>?) -> [RouteConfig]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one route is required")
            return nil
        }
        let routes = items.compactMap { read(from: $0, upstreamNames: upstreamNames) }
        return routes.count == items.count ? routes : nil
    }

    static func read(from node: ConfigNode, upstreamNames: Set<String>?) -> RouteConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let pathPrefix = map.required("path_prefix").flatMap {
            $0.parsed(expected: "a path such as /api", by: URLPathSyntax.parse)
        }
        let host = map.optional("host")?.parsed(expected: "a host name such as example.com", by: RouteHostSyntax.parse)
        let upstream = map.required("upstream").flatMap { readUpstreamName(from: $0, upstreamNames: upstreamNames) }
        let auth = map.optional("auth").flatMap(RouteAuth.read(from:))
        let requestHeaders = map.optional("request_headers").flatMap { HeaderRules.read(from: $0, direction: .request) }
        let responseHeaders = map.optional("response_headers").flatMap { HeaderRules.read(from: $0, direction: .response) }
        let rateLimit = map.optional("rate_limit").flatMap(RouteRateLimit.read(from:))
        guard let pathPrefix, let upstream else {
            return nil
        }
        var route = RouteConfig(pathPrefix: pathPrefix, host: host, upstream: upstream, auth: auth)
        if let requestHeaders { route.requestHeaders = requestHeaders }
        if let responseHeaders { route.responseHeaders = responseHeaders }
        if let rateLimit { route.rateLimit = rateLimit }
        return route
    }

    private static func readUpstreamName(from node: ConfigNode, upstreamNames: Set<String>?) -> String? {
        guard let name = node.scalarText(expected: "the name of an upstream") else {
            return nil
        }
        if let upstreamNames, !upstreamNames.contains(name) {
            let defined = upstreamNames.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            node.report("upstream \"\(name)\" is not defined under upstreams; defined: \(defined)")
            return nil
        }
        return name
    }
}
