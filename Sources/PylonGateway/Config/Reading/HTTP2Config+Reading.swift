extension HTTP2Config {
    static let keys = [
        "enabled", "max_concurrent_streams", "initial_stream_window", "connection_window", "max_header_list_size",
        "max_frame_size", "max_resets", "max_stream_errors", "max_control_frames", "max_glitches", "ping_interval",
        "ping_timeout", "max_connection_age", "max_connection_age_grace",
    ]

    /// Flow-control windows are 31-bit (RFC 9113 §6.9.1).
    static let maxWindow = (1 << 31) - 1
    /// SETTINGS values are 32-bit (RFC 9113 §6.5.1).
    static let maxSettingValue = (1 << 32) - 1
    /// SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2).
    static let frameSizeRange = (1 << 14)...((1 << 24) - 1)
    /// Every connection's window starts here and only WINDOW_UPDATE grows it (RFC 9113 §6.9.2).
    static let initialConnectionWindow = 65_535
    /// Clients treat PINGs more often than this as abuse (gRPC's minimum too).
    static let minPingInterval = Duration.seconds(1)

    static func read(from node: ConfigNode) -> HTTP2Config? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var http2 = HTTP2Config()
        map.readOptional("enabled", into: &http2.enabled) { $0.bool() }
        map.readOptional("max_concurrent_streams", into: &http2.maxConcurrentStreams, readMaxConcurrentStreams(from:))
        map.readOptional("initial_stream_window", into: &http2.initialStreamWindow) {
            $0.byteCount(in: 1...maxWindow, rule: "a stream window is at most 2147483647 bytes (2^31-1, RFC 9113 §6.9.1)")
        }
        map.readOptional("connection_window", into: &http2.connectionWindow) {
            $0.byteCount(
                in: initialConnectionWindow...maxWindow,
                rule: "the connection window starts at 65535 bytes and can only grow, to at most 2147483647 (2^31-1, RFC 9113 §6.9)"
            )
        }
        http2.maxHeaderListSize = map.optional("max_header_list_size")?.byteCount(
            in: 1...maxSettingValue, rule: "a SETTINGS value is at most 4294967295 (2^32-1, RFC 9113 §6.5.1)"
        )
        map.readOptional("max_frame_size", into: &http2.maxFrameSize) {
            $0.byteCount(in: frameSizeRange, rule: "RFC 9113 §6.5.2 allows 16384 (16KiB) to 16777215 (16MiB minus one byte)")
        }
        map.readOptional("max_resets", into: &http2.maxResets) { $0.eventRate() }
        map.readOptional("max_stream_errors", into: &http2.maxStreamErrors) { $0.eventRate() }
        map.readOptional("max_control_frames", into: &http2.maxControlFrames) { $0.eventRate() }
        map.readOptional("max_glitches", into: &http2.maxGlitches) { $0.int(in: 1...Int(Int32.max)) }

        let pings = readPings(from: map, pinging: "clients")
        http2.pingInterval = pings.interval
        if let timeout = pings.timeout { http2.pingTimeout = timeout }
        http2.maxConnectionAge = map.optional("max_connection_age")?.duration()
        http2.maxConnectionAgeGrace = map.optional("max_connection_age_grace")?.duration()
        if map.optional("max_connection_age") == nil, let graceNode = map.optional("max_connection_age_grace") {
            graceNode.report("max_connection_age_grace only applies with max_connection_age; set it too (e.g. max_connection_age: 1h)")
        }
        return http2
    }

    /// `ping_interval` (at least 1s) and `ping_timeout` (only with it), as a listener's
    /// `http2` section and an HTTP/2 upstream both take them; `pinging` names who gets the
    /// PINGs, for the messages. The interval is nil when absent or refused, the timeout
    /// when absent or unreadable; a timeout without an interval is reported here.
    static func readPings(from map: ConfigMapping, pinging peers: String) -> (interval: Duration?, timeout: Duration?) {
        let interval: Duration? = map.optional("ping_interval").flatMap { node in
            node.duration().flatMap { interval in
                guard interval >= minPingInterval else {
                    node.report("a keep-alive PING more often than once a second looks like a PING flood to \(peers); use at least 1s")
                    return nil
                }
                return interval
            }
        }
        let timeout = map.optional("ping_timeout")?.duration()
        if map.optional("ping_interval") == nil, let timeoutNode = map.optional("ping_timeout") {
            timeoutNode.report("ping_timeout only applies to keep-alive PINGs; set ping_interval too (e.g. ping_interval: 60s)")
        }
        return (interval, timeout)
    }

    private static func readMaxConcurrentStreams(from node: ConfigNode) -> Int? {
        if case .scalar(let scalar) = node.node, scalar.string == "0" {
            node.report("0 streams would refuse every request; to serve this listener over HTTP/1.1 only, write enabled: false")
            return nil
        }
        return node.int(in: 1...maxSettingValue)
    }
}

extension ConfigNode {
    /// A size in bytes within `range`; `rule` says why the range is what it is.
    func byteCount(in range: ClosedRange<Int>, rule: String) -> Int? {
        guard let bytes = byteCount() else {
            return nil
        }
        guard range.contains(bytes) else {
            report("\(bytes) bytes is out of range: \(rule)")
            return nil
        }
        return bytes
    }

    /// A count per time window such as `200/30s`.
    func eventRate() -> HTTP2Config.EventRate? {
        parsed(expected: "a count per time window such as 200/30s", by: EventRateSyntax.parse)
    }
}
