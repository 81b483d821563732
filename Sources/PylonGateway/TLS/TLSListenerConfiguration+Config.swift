import NIOSSL
import PylonProxy

extension TLSListenerConfiguration {
    /// What the proxy serves for a listener's `tls` section, sealing session tickets with
    /// `sessionTicketKeys` (the service's, shared by every worker).
    init(_ config: ListenerTLSConfig, sessionTicketKeys: TLSSessionTicketKeys?) {
        self.init(
            certificates: config.certificates.map { certificate in
                Certificate(
                    chain: certificate.files.chain,
                    privateKey: certificate.files.privateKey,
                    serverNames: certificate.serverNames
                )
            },
            defaultCertificate: config.defaultCertificate,
            minimumVersion: config.minVersion == .tls13 ? .tlsv13 : .tlsv12,
            sessionTicketKeys: sessionTicketKeys
        )
    }
}
