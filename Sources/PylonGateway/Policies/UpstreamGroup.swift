import Atomics
import NIOCore
import PylonProxy

/// An upstream's resolved targets and its balancer: round robin over an atomic
/// counter shared by every event loop, so turns are fair across connections.
final class UpstreamGroup: Sendable {
    let name: String
    let peers: [HTTPPeer]
    /// Extra connect attempts for one request after the first fails.
    let retries: Int
    private let next = ManagedAtomic<Int>(0)

    init(name: String, peers: [HTTPPeer], retries: Int) {
        precondition(!peers.isEmpty, "an upstream has at least one target")
        self.name = name
        self.peers = peers
        self.retries = retries
    }

    /// The next peer in turn.
    func pick() -> HTTPPeer {
        let turn = self.next.loadThenWrappingIncrement(ordering: .relaxed)
        return self.peers[Int(UInt(bitPattern: turn) % UInt(self.peers.count))]
    }

    /// Resolves `config`'s targets (host names through the system resolver: call this at
    /// start-up, never on an event loop).
    static func resolve(_ config: UpstreamConfig) throws -> UpstreamGroup {
        // One TLS context per upstream, shared by its targets; each target has its own SNI.
        let tlsContext = try config.tls.map { try UpstreamTLSContext($0) }
        let peers = try config.targets.map { target in
            HTTPPeer(
                address: try SocketAddress.makeAddressResolvingHost(target.host, port: target.port),
                name: target.description,
                connectTimeout: TimeAmount(config.connectTimeout),
                readTimeout: TimeAmount(config.readTimeout),
                maxIdleConnections: config.maxIdle,
                idleTimeout: TimeAmount(config.idleTimeout),
                tls: tlsContext.map { UpstreamTLS(context: $0, serverName: config.tls?.sni ?? target.tlsServerName) }
            )
        }
        return UpstreamGroup(name: config.name, peers: peers, retries: config.retries)
    }
}

extension HostAndPort {
    /// The SNI a target gets by default: its host name; none for an IP address.
    var tlsServerName: String? {
        try? ServerNameSyntax.parse(self.host, allowWildcard: false)
    }
}
