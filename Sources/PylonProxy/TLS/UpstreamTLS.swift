public import NIOSSL
public import NIOCore

/// TLS towards an upstream peer: the shared context and the name this peer is asked for.
public struct UpstreamTLS: Sendable, Hashable {
    /// Trust roots, verification and client certificate; one per upstream, shared by its peers.
    public var context: UpstreamTLSContext
    /// Sent as SNI and, when the context verifies, the name the certificate must carry in
    /// its subject alternative names. Nil: no SNI, and the certificate must carry the peer's
    /// IP address.
    public var serverName: String?

    public init(context: UpstreamTLSContext, serverName: String?) {
        self.context = context
        self.serverName = serverName
    }
}

/// A client-side BoringSSL context for upstream connections, built once at start-up (it
/// holds the trust roots, so nothing is read from disk during a handshake) and shared by
/// every connection that uses it. Compared by identity: pooled connections are reused only
/// by peers with the very same context.
public final class UpstreamTLSContext: Sendable, Hashable {
    let sslContext: NIOSSLContext
    /// Whether the upstream's certificate chain and name are checked.
    public let verifiesCertificates: Bool

    /// - Parameters:
    ///   - trustRoots: CA certificates an upstream's chain must lead to.
    ///   - verify: false accepts any certificate (testing only; nothing is authenticated).
    ///   - clientCertificateChain: presented when the upstream asks for one (mTLS), with
    ///     `clientPrivateKey`.
    ///   - applicationProtocols: offered in ALPN: `["http/1.1"]` for HTTP/1.1 peers, `["h2"]`
    ///     for HTTP/2 peers (only `h2`, so a server that cannot speak it says so in the
    ///     handshake instead of picking HTTP/1.1).
    public init(
        trustRoots: [NIOSSLCertificate],
        verify: Bool = true,
        clientCertificateChain: [NIOSSLCertificate] = [],
        clientPrivateKey: NIOSSLPrivateKey? = nil,
        applicationProtocols: [String] = ["http/1.1"]
    ) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.maximumTLSVersion = .tlsv13
        tls.trustRoots = .certificates(trustRoots)
        // The chain is checked here; the name by UpstreamCertificateIdentity, more strictly
        // than NIOSSL's host name check would.
        tls.certificateVerification = verify ? .noHostnameVerification : .none
        tls.applicationProtocols = applicationProtocols
        if let clientPrivateKey, !clientCertificateChain.isEmpty {
            tls.certificateChain = clientCertificateChain.map { .certificate($0) }
            tls.privateKey = .privateKey(clientPrivateKey)
        }
        // An upstream that never answers close_notify must not hold a closing socket for long.
        tls.shutdownTimeout = .seconds(1)
        self.sslContext = try NIOSSLContext(configuration: tls)
        self.verifiesCertificates = verify
    }

    public static func == (lhs: UpstreamTLSContext, rhs: UpstreamTLSContext) -> Bool { lhs === rhs }

    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

extension UpstreamTLS {
    /// Puts this TLS client at the front of another connection to the same peer (a health
    /// check's, say), so it speaks to the target exactly as proxied requests do.
    public func addClientHandler(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(NIOSSLClientHandler(context: self.context.sslContext, serverHostname: self.serverName))
    }
}
