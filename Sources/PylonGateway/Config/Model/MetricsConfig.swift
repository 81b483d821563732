/// The separate listener that serves Prometheus metrics.
public struct MetricsConfig: Sendable, Equatable {
    /// IP address and port to bind (`address`, e.g. `127.0.0.1:6192`); required.
    public var address: HostAndPort
    /// URL path the metrics are served at (`path`); default `/metrics`.
    public var path: String

    public init(address: HostAndPort, path: String = "/metrics") {
        self.address = address
        self.path = path
    }
}
