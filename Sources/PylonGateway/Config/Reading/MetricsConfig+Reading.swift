extension MetricsConfig {
    static let keys = ["address", "path"]

    static func read(from node: ConfigNode) -> MetricsConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let address = map.required("address").flatMap { $0.listenAddress() }
        let path = map.optional("path").flatMap { $0.parsed(expected: "a path such as /metrics", by: URLPathSyntax.parse) }
        guard let address else {
            return nil
        }
        var metrics = MetricsConfig(address: address)
        if let path {
            metrics.path = path
        }
        return metrics
    }
}
