public import NIOSSL

/// A certificate chain and its private key, read from PEM files when the config is loaded
/// (`pylon check`, start-up), so a handshake never waits for the disk and a bad file fails
/// the check instead of a worker.
public struct TLSCertificateConfig: Sendable, Equatable {
    /// The chain file (`cert`: leaf first, then intermediates), resolved against the config
    /// file's directory; required.
    public var certFile: String
    /// The private key file (`key`, unencrypted PEM: PKCS#8, RSA or EC), resolved likewise; required.
    public var keyFile: String
    /// The certificates of `certFile`, leaf first.
    public var chain: [NIOSSLCertificate]
    /// The key of `keyFile`; it matches the leaf certificate.
    public var privateKey: NIOSSLPrivateKey

    public init(certFile: String, keyFile: String, chain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.chain = chain
        self.privateKey = privateKey
    }
}
