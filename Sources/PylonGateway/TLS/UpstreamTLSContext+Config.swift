import NIOSSL
import PylonProxy

extension UpstreamTLSContext {
    /// The context for an upstream's `tls` section: its `ca_file`, else the system trust
    /// store (read once per process, at start-up); ALPN offers what `httpProtocol` speaks.
    convenience init(_ config: UpstreamTLSConfig, httpProtocol: UpstreamProtocol = .http1) throws {
        let trustRoots: [NIOSSLCertificate]
        if !config.verify {
            trustRoots = []
        } else if config.caFile != nil {
            trustRoots = config.caCertificates
        } else {
            trustRoots = try SystemTrustStore.shared.get()
        }
        try self.init(
            trustRoots: trustRoots,
            verify: config.verify,
            clientCertificateChain: config.clientCertificate?.chain ?? [],
            clientPrivateKey: config.clientCertificate?.privateKey,
            applicationProtocols: httpProtocol.alpnIdentifiers
        )
    }
}
