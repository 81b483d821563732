extension AccessLogConfig {
    static let keys = ["enabled", "format"]

    static func read(from node: ConfigNode) -> AccessLogConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var accessLog = AccessLogConfig()
        map.readOptional("enabled", into: &accessLog.enabled) { $0.bool() }
        map.readOptional("format", into: &accessLog.format) { $0.oneOf(AccessLogFormat.self) }
        return accessLog
    }
}
