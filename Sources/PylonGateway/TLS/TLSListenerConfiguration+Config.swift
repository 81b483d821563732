import NIOSSL
import PylonProxy

extension TLSListenerConfiguration {
    /// What the proxy serves for a listener's `tls` section.
    init(_ config: ListenerTLSConfig) {
        self.init(
            certificates: config.certificates.map { certificate in
                Certificate(
                    chain: certificate.files.chain,
                    privateKey: certificate.files.privateKey,
                    serverNames: certificate.serverNames
                )
            },
            defaultCertificate: config.defaultCertificate,
            minimumVersion: config.minVersion == .tls13 ? .tlsv13 : .tlsv12
        )
    }
}
