/// TLS on a listener (`tls`): clients speak HTTPS, and each handshake is answered with the
/// certificate for the server name the client asks for (SNI).
public struct ListenerTLSConfig: Sendable, Equatable {
    /// A served certificate and the names it answers for.
    public struct Certificate: Sendable, Equatable {
        /// The chain and key (`cert`, `key`).
        public var files: TLSCertificateConfig
        /// Names served with this certificate (`server_names`: host names or `*.example.com`);
        /// default: the DNS names in the certificate's subject alternative names.
        public var serverNames: [String]

        public init(files: TLSCertificateConfig, serverNames: [String]) {
            self.files = files
            self.serverNames = serverNames
        }
    }

    /// Served certificates (`certificates`); required, at least one. A name may belong to
    /// only one of them.
    public var certificates: [Certificate]
    /// Index in `certificates` of the one served to clients that send no server name or one
    /// no certificate has (`default`: one of that certificate's server names); default 0.
    public var defaultCertificate: Int
    /// The oldest TLS version accepted (`min_version`); default 1.2. Older clients get a
    /// `protocol_version` alert.
    public var minVersion: TLSMinimumVersion

    public init(certificates: [Certificate], defaultCertificate: Int = 0, minVersion: TLSMinimumVersion = .tls12) {
        self.certificates = certificates
        self.defaultCertificate = defaultCertificate
        self.minVersion = minVersion
    }
}

/// The TLS versions a listener may start from; nothing older than 1.2 is ever offered.
public enum TLSMinimumVersion: String, Sendable, Equatable, CaseIterable {
    /// TLS 1.2 and 1.3 (`"1.2"`).
    case tls12 = "1.2"
    /// TLS 1.3 only (`"1.3"`).
    case tls13 = "1.3"
}
