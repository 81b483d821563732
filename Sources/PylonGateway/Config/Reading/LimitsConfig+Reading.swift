extension LimitsConfig {
    static let keys = [
        "max_request_line", "max_header_bytes", "max_body", "header_timeout", "idle_timeout", "body_timeout",
        "keepalive_requests", "keepalive_time",
    ]

    static func read(from node: ConfigNode) -> LimitsConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var limits = LimitsConfig()
        map.readOptional("max_request_line", into: &limits.maxRequestLine) { $0.byteCount() }
        map.readOptional("max_header_bytes", into: &limits.maxHeaderBytes) { $0.byteCount() }
        // `max_body: 0` means no limit, which the model says with nil.
        if let maxBody = map.optional("max_body")?.byteCount(allowZero: true) {
            limits.maxBody = maxBody == 0 ? nil : maxBody
        }
        map.readOptional("header_timeout", into: &limits.headerTimeout) { $0.duration() }
        map.readOptional("idle_timeout", into: &limits.idleTimeout) { $0.duration() }
        map.readOptional("body_timeout", into: &limits.bodyTimeout) { $0.duration() }
        limits.keepaliveRequests = map.optional("keepalive_requests")?.int(in: 1...Int(Int32.max))
        limits.keepaliveTime = map.optional("keepalive_time")?.duration()
        return limits
    }
}
