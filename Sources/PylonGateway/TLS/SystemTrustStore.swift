import Foundation
import NIOSSL

/// The operating system's CA bundle, read once at start-up into memory: a handshake then
/// never touches the disk (BoringSSL's own lookup in /etc/ssl/certs would, on the event
/// loop, for every certificate whose issuer it has not seen).
enum SystemTrustStore {
    /// Where Debian/Ubuntu/Alpine, Fedora/RHEL and others keep the bundle.
    static let candidatePaths = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ]

    /// The first bundle that exists and is readable.
    static var bundlePath: String? {
        candidatePaths.first { FileManager.default.isReadableFile(atPath: $0) }
    }

    /// The bundle, read on first use and kept for the life of the process (a reload starts
    /// new workers, which read it afresh).
    static let shared = Result { try load() }

    /// The bundle's certificates; throws when there is none or it cannot be parsed.
    static func load() throws -> [NIOSSLCertificate] {
        guard let path = bundlePath else { throw SystemTrustStoreError.missing(candidatePaths) }
        return try NIOSSLCertificate.fromPEMFile(path)
    }
}

enum SystemTrustStoreError: Error, CustomStringConvertible {
    case missing([String])

    var description: String {
        switch self {
        case .missing(let paths): "no system trust store found (\(paths.joined(separator: ", "))); install ca-certificates or set ca_file"
        }
    }
}
