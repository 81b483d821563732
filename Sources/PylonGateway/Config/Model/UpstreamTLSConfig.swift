public import NIOSSL

/// TLS towards an upstream's targets (`tls` under an upstream).
public struct UpstreamTLSConfig: Sendable, Equatable {
    /// The name sent as SNI and checked against the target's certificate (`sni`); default:
    /// each target's host name, or none for an IP target (whose certificate must then
    /// carry that IP address).
    public var sni: String?
    /// Whether the target's certificate chain and name are verified (`verify`); default
    /// true. false is for testing only and logs a warning at start.
    public var verify: Bool
    /// PEM file of the CA certificates trusted for this upstream (`ca_file`), resolved
    /// against the config file's directory; default: the system trust store.
    public var caFile: String?
    /// The certificates of `caFile`.
    public var caCertificates: [NIOSSLCertificate]
    /// Certificate and key presented when the target asks for one, for mutual TLS
    /// (`client_cert` and `client_key`, both or neither); default none.
    public var clientCertificate: TLSCertificateConfig?

    public init(
        sni: String? = nil,
        verify: Bool = true,
        caFile: String? = nil,
        caCertificates: [NIOSSLCertificate] = [],
        clientCertificate: TLSCertificateConfig? = nil
    ) {
        self.sni = sni
        self.verify = verify
        self.caFile = caFile
        self.caCertificates = caCertificates
        self.clientCertificate = clientCertificate
    }
}
