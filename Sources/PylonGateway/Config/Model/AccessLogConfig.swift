/// The per-request access log.
public struct AccessLogConfig: Sendable, Equatable {
    /// Write one line per request (`enabled`); default true.
    public var enabled: Bool
    /// Line format (`format`); default `.logfmt`.
    public var format: AccessLogFormat

    public init(enabled: Bool = true, format: AccessLogFormat = .logfmt) {
        self.enabled = enabled
        self.format = format
    }
}

/// How access-log lines are written.
public enum AccessLogFormat: String, Sendable, Equatable, CaseIterable {
    /// `key=value` pairs separated by spaces (`logfmt`).
    case logfmt
    /// One JSON object per line (`json`).
    case json
}
