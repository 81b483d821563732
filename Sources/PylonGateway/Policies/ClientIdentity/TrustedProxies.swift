public import NIOCore

/// The `trusted_proxies` ranges, asked for every request whose forwarding claims matter.
/// A linear scan: trusted lists are a handful of ranges, and each test is two masks.
public struct TrustedProxies: Sendable {
    let networks: [IPNetwork]

    public init(_ networks: [IPNetwork]) {
        self.networks = networks
    }

    public var isEmpty: Bool { self.networks.isEmpty }

    public func contains(_ address: IPAddress) -> Bool {
        for network in self.networks where network.contains(address) { return true }
        return false
    }

    /// Whether a socket's IP is trusted; Unix-domain peers are not.
    public func contains(_ address: SocketAddress) -> Bool {
        guard let ip = IPAddress(address) else { return false }
        return self.contains(ip)
    }
}

extension IPAddress {
    /// The IP of an IPv4 or IPv6 socket address; nil for Unix-domain sockets.
    init?(_ socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            self.init(ipv4: UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            var bytes = address.address.sin6_addr
            self = withUnsafeBytes(of: &bytes) { IPAddress(bytes16: $0) }
        case .unixDomainSocket:
            return nil
        }
    }
}
