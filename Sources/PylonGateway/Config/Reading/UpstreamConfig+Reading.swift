extension UpstreamConfig {
    static let keys = [
        "targets", "balance", "connect_timeout", "read_timeout", "max_idle", "idle_timeout", "retries", "tls",
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
        let balance = map.optional("balance")?.oneOf(BalanceStrategy.self)
        let connectTimeout = map.optional("connect_timeout")?.duration()
        let readTimeout = map.optional("read_timeout")?.duration()
        let maxIdle = map.optional("max_idle")?.int(in: 0...Int(Int32.max))
        let idleTimeout = map.optional("idle_timeout")?.duration()
        // Each retry can cost a full connect timeout; more than a few only delays the 502.
        let retries = map.optional("retries")?.int(in: 0...10)
        let tls = map.optional("tls").flatMap(UpstreamTLSConfig.read(from:))
        guard let targets else {
            return nil
        }
        if map.optional("tls") != nil, tls == nil {
            return nil
        }
        var upstream = UpstreamConfig(name: name, targets: targets)
        if let balance { upstream.balance = balance }
        if let connectTimeout { upstream.connectTimeout = connectTimeout }
        if let readTimeout { upstream.readTimeout = readTimeout }
        if let maxIdle { upstream.maxIdle = maxIdle }
        if let idleTimeout { upstream.idleTimeout = idleTimeout }
        if let retries { upstream.retries = retries }
        upstream.tls = tls
        return upstream
    }

    private static func readTargets(from node: ConfigNode) -> [HostAndPort]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one target is required, e.g. [\"127.0.0.1:9001\"]")
            return nil
        }
        let targets = items.compactMap { item in
            item.parsed(expected: "a target such as 127.0.0.1:9001 or backend.local:80") { text throws(ValueSyntaxError) in
                try HostAndPortSyntax.parse(text, hostRule: .ipLiteralOrHostName)
            }
        }
        return targets.count == items.count ? targets : nil
    }
}
