extension RequestIDConfig {
    static let keys = ["enabled", "header", "generate", "trust_incoming"]

    static func read(from node: ConfigNode) -> RequestIDConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var requestID = RequestIDConfig()
        map.readOptional("enabled", into: &requestID.enabled) { $0.bool() }
        map.readOptional("header", into: &requestID.header, readHeaderName)
        map.readOptional("generate", into: &requestID.generate) { $0.bool() }
        map.readOptional("trust_incoming", into: &requestID.trustIncoming) { $0.oneOf(IncomingRequestIDTrust.self) }
        return requestID
    }

    private static func readHeaderName(from node: ConfigNode) -> String? {
        guard let name = node.parsed(expected: "a header name", by: HeaderRules.parseName) else {
            return nil
        }
        let lowercased = name.lowercased()
        guard !HeaderRules.proxyManagedNames.contains(lowercased), lowercased != "host" else {
            node.report("\"\(name)\" cannot carry request IDs: the proxy or HTTP itself gives it its meaning")
            return nil
        }
        return name
    }
}
