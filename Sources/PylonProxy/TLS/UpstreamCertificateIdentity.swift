import NIOCore
import NIOSSL

/// Whether an upstream's certificate is for the peer Pylon meant to reach (RFC 6125 §6).
///
/// With a server name, one of the certificate's DNS subject alternative names must match it
/// (a `*.` wildcard covers exactly one leftmost label); without one, an IP address SAN must
/// be the peer's address. Stricter than NIOSSL's own check, which also accepts a certificate
/// that names the connected IP when a server name was asked for: a proxy that reaches
/// `api.example` by its address must not take any certificate for that address instead.
/// The common name is never consulted (browsers dropped that fallback long ago).
enum UpstreamCertificateIdentity {
    static func matches(_ certificate: NIOSSLCertificate, serverName: String?, address: SocketAddress) -> Bool {
        let names = Self.names(in: certificate)
        if let serverName {
            let wanted = ServerNameTable.normalized(serverName)
            return names.dnsNames.contains { Self.dnsName($0, matches: wanted) }
        }
        guard let ip = address.ipAddress else { return false }
        return names.ipAddresses.contains(ip)
    }

    /// The certificate's names, for a log line saying whom it was for.
    static func describeNames(in certificate: NIOSSLCertificate) -> String {
        let names = Self.names(in: certificate)
        let all = names.dnsNames + names.ipAddresses
        return all.isEmpty ? "no DNS or IP names" : all.joined(separator: ", ")
    }

    private static func names(in certificate: NIOSSLCertificate) -> (dnsNames: [String], ipAddresses: [String]) {
        var dnsNames: [String] = []
        var ipAddresses: [String] = []
        for name in certificate._subjectAlternativeNames() {
            switch name.nameType {
            case .dnsName:
                dnsNames.append(String(decoding: Array(name.contents), as: UTF8.self).lowercased())
            case .ipAddress:
                let packed = ByteBuffer(bytes: Array(name.contents))
                if let ip = (try? SocketAddress(packedIPAddress: packed, port: 0))?.ipAddress { ipAddresses.append(ip) }
            default:
                continue
            }
        }
        return (dnsNames, ipAddresses)
    }

    private static func dnsName(_ pattern: String, matches name: String) -> Bool {
        let pattern = ServerNameTable.normalized(pattern)
        guard pattern.hasPrefix("*.") else { return pattern == name }
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return false }
        return name[name.index(after: dot)...] == pattern.dropFirst(2)
    }
}
