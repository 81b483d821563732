public import NIOSSL

/// What a TLS listener serves: certificates chosen by the server name the client asks for
/// (SNI), a default for clients that name none or an unknown one, and the oldest protocol
/// version accepted. Only TLS 1.2 and 1.3 are ever offered. A client has the server's
/// header timeout to complete its handshake.
public struct TLSListenerConfiguration: Sendable {
    /// A certificate chain (leaf first), its private key, and the names it is served for.
    public struct Certificate: Sendable {
        public var chain: [NIOSSLCertificate]
        public var privateKey: NIOSSLPrivateKey
        /// Host names (`example.com`) or one-label wildcards (`*.example.com`), matched
        /// case-insensitively against the client's SNI.
        public var serverNames: [String]

        public init(chain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey, serverNames: [String]) {
            self.chain = chain
            self.privateKey = privateKey
            self.serverNames = serverNames
        }
    }

    /// Served certificates; at least one.
    public var certificates: [Certificate]
    /// Index in `certificates` of the one served without SNI or for a name no certificate has.
    public var defaultCertificate: Int
    /// `.tlsv12` or `.tlsv13`; anything older is refused with a `protocol_version` alert.
    public var minimumVersion: TLSVersion
    /// The keys that seal and open session tickets, shared with every other process serving
    /// the listener so clients resume anywhere; nil: BoringSSL's own, private to this process.
    public var sessionTicketKeys: TLSSessionTicketKeys?

    public init(
        certificates: [Certificate],
        defaultCertificate: Int = 0,
        minimumVersion: TLSVersion = .tlsv12,
        sessionTicketKeys: TLSSessionTicketKeys? = nil
    ) {
        precondition(!certificates.isEmpty, "a TLS listener has at least one certificate")
        precondition(certificates.indices.contains(defaultCertificate), "the default certificate is one of the certificates")
        self.certificates = certificates
        self.defaultCertificate = defaultCertificate
        self.minimumVersion = minimumVersion
        self.sessionTicketKeys = sessionTicketKeys
    }
}
