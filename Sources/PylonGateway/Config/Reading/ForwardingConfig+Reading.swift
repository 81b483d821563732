extension ForwardingConfig {
    static let keys = ["x_forwarded_for", "x_forwarded_proto", "via", "preserve_host"]

    static func read(from node: ConfigNode) -> ForwardingConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var forwarding = ForwardingConfig()
        map.readOptional("x_forwarded_for", into: &forwarding.xForwardedFor) { $0.bool() }
        map.readOptional("x_forwarded_proto", into: &forwarding.xForwardedProto) { $0.bool() }
        map.readOptional("via", into: &forwarding.via) { $0.bool() }
        map.readOptional("preserve_host", into: &forwarding.preserveHost) { $0.bool() }
        return forwarding
    }
}
