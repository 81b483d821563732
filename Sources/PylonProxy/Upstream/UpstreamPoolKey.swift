import NIOCore

/// What makes pooled upstream connections interchangeable: the address, the TLS
/// context and server name they were opened with, and the HTTP version they speak.
///
/// Hashed once, when made: the pool looks a key up twice per request, and hashing a
/// socket address and a TLS identity each time cost more than the lookup.
///
/// A class: a peer's key is made once and shared by the connections opened for it, so the
/// pool recognises the key it looked up last by identity, and copying one is a single
/// retain rather than one per reference in an address and a TLS identity.
final class UpstreamPoolKey: Hashable, Sendable {
    let address: SocketAddress
    let tls: UpstreamTLS?
    let httpVersion: UpstreamHTTPVersion
    private let precomputedHash: Int

    init(address: SocketAddress, tls: UpstreamTLS?, httpVersion: UpstreamHTTPVersion) {
        self.address = address
        self.tls = tls
        self.httpVersion = httpVersion
        var hasher = Hasher()
        hasher.combine(address)
        hasher.combine(tls)
        hasher.combine(httpVersion)
        self.precomputedHash = hasher.finalize()
    }

    static func == (lhs: UpstreamPoolKey, rhs: UpstreamPoolKey) -> Bool {
        lhs === rhs || lhs.precomputedHash == rhs.precomputedHash && lhs.httpVersion == rhs.httpVersion && lhs.address == rhs.address
            && lhs.tls == rhs.tls
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.precomputedHash)
    }
}
