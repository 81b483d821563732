/// A network endpoint from the config: an IP address or host name, and a port.
public struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    /// IPv4 address, IPv6 address (without brackets) or host name, as written. No default.
    public var host: String
    /// TCP port, 1...65535. No default: every address must name its port.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around an IPv6 address (`[::1]:8080`), as it is written in the config.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
