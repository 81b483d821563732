import Logging
import NIOCore
import NIOSSL

/// A TLS listener's BoringSSL context, built once when the server starts and shared by
/// every connection: the default certificate is the context's own, and when there are
/// several, each handshake swaps in the one the client's SNI names.
struct TLSServerContext: Sendable {
    /// TLS 1.2 suites: ECDHE key exchange with AEAD ciphers only (forward secrecy, no CBC,
    /// no static RSA). TLS 1.3 suites are BoringSSL's fixed, all-AEAD set.
    static let tls12CipherSuites = "ECDHE+AESGCM:ECDHE+CHACHA20"
    /// Protocols offered in ALPN, in order of preference. Only what the server speaks:
    /// HTTP/2 first (unless the listener has it off), HTTP/1.1 for clients without it (and
    /// without ALPN at all).
    static func applicationProtocols(offerHTTP2: Bool) -> [String] {
        offerHTTP2 ? ["h2", "http/1.1"] : ["http/1.1"]
    }

    let sslContext: NIOSSLContext

    init(_ configuration: TLSListenerConfiguration, closeNotifyTimeout: TimeAmount, offerHTTP2: Bool = true, logger: Logger) throws {
        let defaultCertificate = configuration.certificates[configuration.defaultCertificate]
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: defaultCertificate.chain.map { .certificate($0) },
            privateKey: .privateKey(defaultCertificate.privateKey)
        )
        tls.minimumTLSVersion = configuration.minimumVersion
        tls.maximumTLSVersion = .tlsv13
        tls.cipherSuites = Self.tls12CipherSuites
        tls.applicationProtocols = Self.applicationProtocols(offerHTTP2: offerHTTP2)
        tls.shutdownTimeout = closeNotifyTimeout
        if configuration.certificates.count > 1 {
            tls.sslContextCallback = Self.certificateSelector(for: configuration)
        }
        self.sslContext = try NIOSSLContext(configuration: tls)
        // On the SSL_CTX itself, which SNI keeps for every handshake (a certificate chosen by
        // name is swapped in on the connection): one set of keys whatever the name.
        if let keys = configuration.sessionTicketKeys {
            do {
                try keys.install(on: self.sslContext)
            } catch {
                logger.warning(
                    "TLS session tickets are not shared: clients resume only on the worker that issued theirs",
                    metadata: ["reason": "\(error)"]
                )
            }
        }
    }

    /// Picks the certificate for each handshake by SNI. Runs on the connection's event loop
    /// and answers at once: every chain and key was loaded before the server started.
    private static func certificateSelector(for configuration: TLSListenerConfiguration) -> NIOSSLContextCallback {
        let table = ServerNameTable(
            namesByCertificate: configuration.certificates.map(\.serverNames),
            defaultIndex: configuration.defaultCertificate
        )
        let overrides = configuration.certificates.enumerated().map { index, certificate in
            guard index != configuration.defaultCertificate else { return NIOSSLContextConfigurationOverride.noChanges }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = certificate.chain.map { .certificate($0) }
            override.privateKey = .privateKey(certificate.privateKey)
            return override
        }
        return { values, promise in
            promise.succeed(overrides[table.certificateIndex(for: values.serverHostname)])
        }
    }
}
