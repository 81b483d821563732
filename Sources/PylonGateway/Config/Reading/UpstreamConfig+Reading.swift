extension UpstreamConfig {
    static let keys = [
        "targets", "balance", "hash_key", "connect_timeout", "read_timeout", "max_idle", "idle_timeout", "retries",
        "health_check", "passive", "tls", "protocol", "ping_interval", "ping_timeout",
    ]

    /// Reads the `upstreams` mapping. `declaredNames` holds every name written, even of upstreams
    /// that had problems, so routes naming them are not reported a second time as undefined.
    static func readAll(from node: ConfigNode) -> (configs: [UpstreamConfig], declaredNames: Set<String>)? {
        guard let entries = node.entries() else {
            return nil
        }
        guard !entries.isEmpty else {
            node.report("at least one upstream is required")
            return nil
        }
        var configs: [UpstreamConfig] = []
        var declaredNames: Set<String> = []
        for entry in entries {
            declaredNames.insert(entry.key)
            let name = entry.keyNode.parsed(expected: "an upstream name", by: ConfigNameSyntax.parse)
            if let upstream = read(from: entry.value, name: name ?? entry.key), name != nil {
                configs.append(upstream)
            }
        }
        return (configs, declaredNames)
    }

    static func read(from node: ConfigNode, name: String) -> UpstreamConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let targets = map.required("targets").flatMap(readTargets(from:))
        let balanceNode = map.optional("balance")
        let balance = balanceNode?.oneOf(BalanceStrategy.self)
        let hashKeyNode = map.optional("hash_key")
        let hashKey = hashKeyNode?.parsed(expected: "client_ip, path or header:NAME", by: parseHashKey)
        let connectTimeout = map.optional("connect_timeout")?.duration()
        let readTimeout = map.optional("read_timeout")?.duration()
        let maxIdle = map.optional("max_idle")?.int(in: 0...Int(Int32.max))
        let idleTimeout = map.optional("idle_timeout")?.duration()
        // Each retry can cost a full connect timeout; more than a few only delays the 502.
        let retries = map.optional("retries")?.int(in: 0...10)
        let healthCheckNode = map.optional("health_check")
        let healthCheck = healthCheckNode.flatMap(HealthCheckConfig.read(from:))
        let passiveNode = map.optional("passive")
        let passive = passiveNode.flatMap(PassiveHealthConfig.read(from:))
        let tlsNode = map.optional("tls")
        let tls = tlsNode.flatMap(UpstreamTLSConfig.read(from:))
        let protocolNode = map.optional("protocol")
        let httpProtocol = protocolNode?.oneOf(UpstreamProtocol.self)
        // The same keys, limits and default as a listener's `http2` keep-alive PINGs.
        let pingIntervalNode = map.optional("ping_interval")
        let pingTimeoutNode = map.optional("ping_timeout")
        let pings = HTTP2Config.readPings(from: map, pinging: "the upstream")
        var pingInterval = pings.interval

        // Cross-checks, each reported only when the values involved were themselves valid.
        let strategy = balance ?? .roundRobin
        if balanceNode == nil || balance != nil {
            if strategy == .consistentHash, hashKeyNode == nil {
                map.node.report("missing required key \"hash_key\": balance consistent_hash needs client_ip, path or header:NAME")
            }
            if strategy != .consistentHash, hashKey != nil, let hashKeyNode {
                hashKeyNode.report("hash_key only applies to balance: consistent_hash (this upstream uses \(strategy.rawValue))")
            }
            if strategy == .roundRobin, let targets, let weighted = targets.first(where: { $0.weight != 1 }) {
                weighted.weightNode?.report(
                    "round_robin ignores weights; use balance: weighted_round_robin (or least_connections, power_of_two, consistent_hash)"
                )
            }
        }
        if let pingIntervalNode, pingInterval != nil, protocolNode == nil || httpProtocol != nil, httpProtocol != .http2 {
            pingIntervalNode.report("ping_interval applies to protocol: http2 only (this upstream speaks http1)")
            pingInterval = nil
        }
        guard let targets, balanceNode == nil || balance != nil, hashKeyNode == nil || hashKey != nil,
            healthCheckNode == nil || healthCheck != nil, passiveNode == nil || passive != nil,
            tlsNode == nil || tls != nil, protocolNode == nil || httpProtocol != nil,
            pingIntervalNode == nil || pingInterval != nil, pingTimeoutNode == nil || (pings.timeout != nil && pingIntervalNode != nil)
        else {
            return nil
        }
        var upstream = UpstreamConfig(name: name, targets: targets.map(\.address), weights: targets.map(\.weight))
        upstream.balance = strategy
        upstream.hashKey = hashKey
        if let connectTimeout { upstream.connectTimeout = connectTimeout }
        if let readTimeout { upstream.readTimeout = readTimeout }
        if let maxIdle { upstream.maxIdle = maxIdle }
        if let idleTimeout { upstream.idleTimeout = idleTimeout }
        if let retries { upstream.retries = retries }
        upstream.healthCheck = healthCheck
        upstream.passive = passive
        upstream.tls = tls
        upstream.httpProtocol = httpProtocol ?? .http1
        upstream.pingInterval = pingInterval
        if let timeout = pings.timeout { upstream.pingTimeout = timeout }
        return upstream
    }

    /// One target as written: its address, its weight and where the weight was written.
    private struct TargetEntry {
        var address: HostAndPort
        var weight: Int
        var weightNode: ConfigNode?
    }

    private static let targetKeys = ["address", "weight"]

    private static func readTargets(from node: ConfigNode) -> [TargetEntry]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one target is required, e.g. [\"127.0.0.1:9001\"]")
            return nil
        }
        let targets = items.compactMap(readTarget(from:))
        return targets.count == items.count ? targets : nil
    }

    /// `"host:port"`, or `{address: "host:port", weight: N}`.
    private static func readTarget(from node: ConfigNode) -> TargetEntry? {
        guard case .mapping = node.node else {
            return parseAddress(node).map { TargetEntry(address: $0, weight: 1, weightNode: nil) }
        }
        guard let map = node.mapping(keys: targetKeys) else {
            return nil
        }
        let address = map.required("address").flatMap(parseAddress)
        let weightNode = map.optional("weight")
        let weight = weightNode?.int(in: 1...1000)
        guard let address, weightNode == nil || weight != nil else {
            return nil
        }
        return TargetEntry(address: address, weight: weight ?? 1, weightNode: weightNode)
    }

    private static func parseAddress(_ node: ConfigNode) -> HostAndPort? {
        node.parsed(expected: "a target such as 127.0.0.1:9001 or backend.local:80") { text throws(ValueSyntaxError) in
            try HostAndPortSyntax.parse(text, hostRule: .ipLiteralOrHostName)
        }
    }

    private static func parseHashKey(_ text: String) throws(ValueSyntaxError) -> BalanceHashKey {
        switch text {
        case "client_ip": return .clientIP
        case "path": return .path
        default:
            guard text.hasPrefix("header:") else {
                throw ValueSyntaxError("\"\(text)\" is not a hash key; use client_ip, path or header:NAME (e.g. header:X-User)")
            }
            let name = String(text.dropFirst("header:".count))
            guard HTTPFieldSyntax.isToken(name) else {
                throw ValueSyntaxError("\"\(name)\" in \"\(text)\" is not a valid header name")
            }
            return .header(name)
        }
    }
}

extension HealthCheckConfig {
    static let keys = ["tcp", "http"]
    static let timingKeys = ["interval", "timeout", "rise", "fall"]
    static let httpKeys = ["path", "expect_status", "host"] + timingKeys

    /// The shortest interval allowed: below it the checks themselves become load.
    static let minimumInterval: Duration = .milliseconds(10)

    /// `{tcp: {…}}` or `{http: {…}}`.
    static func read(from node: ConfigNode) -> HealthCheckConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        switch (map.present("tcp"), map.present("http")) {
        case (nil, nil):
            node.report("expected a tcp or an http check, e.g. {tcp: {interval: 1s}} or {http: {path: /healthz}}")
            return nil
        case (.some, .some):
            node.report("tcp and http exclude each other; choose one check")
            return nil
        case (let tcp?, nil):
            // `tcp:` with nothing after it means a TCP check with every default.
            if tcp.isNull { return HealthCheckConfig(probe: .tcp) }
            guard let tcpMap = tcp.mapping(keys: timingKeys) else {
                return nil
            }
            var config = HealthCheckConfig(probe: .tcp)
            return readTimings(from: tcpMap, into: &config) ? config : nil
        case (nil, let http?):
            guard let httpMap = http.mapping(keys: httpKeys) else {
                return nil
            }
            let path = httpMap.required("path").flatMap {
                $0.parsed(expected: "a path such as /healthz", by: parseProbePath)
            }
            let status = httpMap.optional("expect_status")?.int(in: 100...599)
            let host = httpMap.optional("host")?.parsed(expected: "a Host header value such as api.internal", by: parseHost)
            let statusWritten = httpMap.optional("expect_status") != nil
            let hostWritten = httpMap.optional("host") != nil
            var config = HealthCheckConfig(probe: .tcp)
            let timingsValid = readTimings(from: httpMap, into: &config)
            guard let path, !statusWritten || status != nil, !hostWritten || host != nil, timingsValid else {
                return nil
            }
            config.probe = .http(path: path, expectStatus: status ?? 200, host: host)
            return config
        }
    }

    /// Reads `interval`, `timeout`, `rise` and `fall` into `config`; false if any was bad.
    private static func readTimings(from map: ConfigMapping, into config: inout HealthCheckConfig) -> Bool {
        var valid = true
        if let node = map.optional("interval") {
            if let interval = node.duration() {
                if interval < minimumInterval {
                    node.report("an interval below 10ms would turn the checks themselves into load")
                    valid = false
                } else {
                    config.interval = interval
                }
            } else {
                valid = false
            }
        }
        if let node = map.optional("timeout") {
            if let timeout = node.duration() { config.timeout = timeout } else { valid = false }
        }
        if let node = map.optional("rise") {
            if let rise = node.int(in: 1...100) { config.rise = rise } else { valid = false }
        }
        if let node = map.optional("fall") {
            if let fall = node.int(in: 1...100) { config.fall = fall } else { valid = false }
        }
        return valid
    }

    /// A request target for the probe: an absolute path, a query allowed.
    private static func parseProbePath(_ text: String) throws(ValueSyntaxError) -> String {
        guard text.hasPrefix("/") else {
            throw ValueSyntaxError("path \"\(text)\" must start with \"/\"")
        }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ValueSyntaxError("path \"\(text)\" contains spaces, control or non-ASCII characters; percent-encode them")
        }
        return text
    }

    private static func parseHost(_ text: String) throws(ValueSyntaxError) -> String {
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ValueSyntaxError("host \"\(text)\" contains spaces, control or non-ASCII characters")
        }
        return text
    }
}

extension PassiveHealthConfig {
    static let keys = ["failures", "cooldown"]

    static func read(from node: ConfigNode) -> PassiveHealthConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var config = PassiveHealthConfig()
        var valid = true
        if let node = map.optional("failures") {
            if let failures = node.int(in: 1...1000) { config.failures = failures } else { valid = false }
        }
        if let node = map.optional("cooldown") {
            if let cooldown = node.duration() { config.cooldown = cooldown } else { valid = false }
        }
        return valid ? config : nil
    }
}
