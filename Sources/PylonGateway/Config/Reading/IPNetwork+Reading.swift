extension IPNetwork {
    /// Reads `trusted_proxies`: a list of addresses and CIDR ranges. Nil when any entry is bad
    /// (each is reported at its own position).
    static func readList(from node: ConfigNode) -> [IPNetwork]? {
        guard let items = node.list() else {
            return nil
        }
        let networks = items.compactMap { item in
            item.parsed(expected: "an IP address or a range such as 10.0.0.0/8", by: IPNetworkSyntax.parse)
        }
        return networks.count == items.count ? networks : nil
    }
}
