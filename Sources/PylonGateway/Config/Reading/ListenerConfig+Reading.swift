extension ListenerConfig {
    static let keys = ["name", "address", "backlog", "proxy_protocol", "tls", "redirect_to_https", "http2"]

    /// Reads the `listeners` list and checks that names and addresses are unique.
    /// `hasTrustedProxies`: whether `trusted_proxies` names anyone a PROXY header may come from.
    static func readList(from node: ConfigNode, hasTrustedProxies: Bool = false) -> [ListenerConfig]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one listener is required")
            return nil
        }
        var listeners: [ListenerConfig] = []
        var firstNamePositions: [String: SourcePosition] = [:]
        var firstAddressOwners: [HostAndPort: String] = [:]
        for item in items {
            guard let listener = read(from: item, hasTrustedProxies: hasTrustedProxies) else {
                continue
            }
            if let first = firstNamePositions[listener.name] {
                item.lookup("name")?.report(
                    "duplicate listener name \"\(listener.name)\"; it is first used at line \(first.line), column \(first.column)"
                )
            } else {
                firstNamePositions[listener.name] = item.lookup("name")?.position ?? item.position
            }
            if let owner = firstAddressOwners[listener.address] {
                item.lookup("address")?.report("\(listener.address) is already the address of listener \"\(owner)\"")
            } else {
                firstAddressOwners[listener.address] = listener.name
            }
            listeners.append(listener)
        }
        return listeners
    }

    static func read(from node: ConfigNode, hasTrustedProxies: Bool) -> ListenerConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let name = map.required("name").flatMap { $0.parsed(expected: "a listener name", by: ConfigNameSyntax.parse) }
        let address = map.required("address").flatMap { $0.listenAddress() }
        let backlog = map.optional("backlog")?.int(in: backlogRange)
        var proxyProtocol = false
        if let node = map.optional("proxy_protocol"), let value = node.bool() {
            if value, !hasTrustedProxies {
                node.report(
                    "a PROXY protocol listener accepts connections only from trusted_proxies, and none are configured; "
                        + "add the load balancers' addresses to trusted_proxies"
                )
                return nil
            }
            proxyProtocol = value
        }
        let tls = map.optional("tls").flatMap(ListenerTLSConfig.read(from:))
        let redirectPort = map.optional("redirect_to_https")?.int(in: 1...65535)
        if tls != nil, let redirectNode = map.optional("redirect_to_https") {
            redirectNode.report("a TLS listener cannot redirect to HTTPS; redirect_to_https belongs on a plain listener")
        }
        var http2: HTTP2Config?
        if let http2Node = map.optional("http2") {
            if map.optional("tls") == nil {
                http2Node.report("HTTP/2 is offered only on TLS listeners, where clients choose it through ALPN; add tls or remove http2")
            } else {
                http2 = HTTP2Config.read(from: http2Node)
            }
        }
        guard let name, let address else {
            return nil
        }
        if map.optional("tls") != nil, tls == nil {
            return nil
        }
        var listener = ListenerConfig(name: name, address: address, proxyProtocol: proxyProtocol, tls: tls, redirectToHTTPSPort: redirectPort)
        if let http2 {
            listener.http2 = http2
        }
        if let backlog {
            listener.backlog = backlog
        }
        return listener
    }

    /// `listen()` takes an `int`; the kernel caps it further at `net.core.somaxconn`.
    static let backlogRange = 1...Int(Int32.max)
}

extension ConfigNode {
    /// An address to bind: an IP address and a port.
    func listenAddress() -> HostAndPort? {
        parsed(expected: "an address such as 0.0.0.0:6191") { text throws(ValueSyntaxError) in
            try HostAndPortSyntax.parse(text, hostRule: .ipLiteral)
        }
    }
}
