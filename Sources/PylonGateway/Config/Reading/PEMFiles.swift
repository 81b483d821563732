import Foundation
import NIOSSL

/// Reading certificates and keys named in the config. Runs only where the config is loaded
/// (`pylon check`, start-up), never on an event loop, so reading files here is fine.
extension ConfigNode {
    /// A file path written at this node, resolved against the config file's directory
    /// (absolute paths stay as they are).
    func configRelativePath() -> String? {
        guard let text = string() else { return nil }
        if text.hasPrefix("/") { return text }
        let directory = (problems.file as NSString).deletingLastPathComponent
        return directory.isEmpty ? text : (directory as NSString).appendingPathComponent(text)
    }

    /// The contents of the file at `path` (written at this node), or a reported problem.
    func fileContents(at path: String, what: String) -> [UInt8]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            report("cannot read the \(what) file \(path): no such file")
            return nil
        }
        guard !isDirectory.boolValue else {
            report("cannot read the \(what) file \(path): it is a directory")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            report("cannot read the \(what) file \(path): permission denied or unreadable")
            return nil
        }
        return Array(data)
    }

    /// The PEM certificates in the file at this node: a chain, leaf first, or a CA bundle.
    func pemCertificates(what: String) -> (path: String, certificates: [NIOSSLCertificate])? {
        guard let path = configRelativePath(), let bytes = fileContents(at: path, what: what) else { return nil }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            report("\(path) is not a PEM \(what) file (expected -----BEGIN CERTIFICATE----- blocks)")
            return nil
        }
        guard !certificates.isEmpty else {
            report("\(path) holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)")
            return nil
        }
        return (path, certificates)
    }

    /// The PEM private key in the file at this node.
    func pemPrivateKey() -> (path: String, key: NIOSSLPrivateKey)? {
        guard let path = configRelativePath(), let bytes = fileContents(at: path, what: "private key") else { return nil }
        if String(decoding: bytes, as: UTF8.self).contains("ENCRYPTED") {
            report("the private key in \(path) is encrypted; Pylon reads unencrypted PEM keys only")
            return nil
        }
        do {
            return (path, try NIOSSLPrivateKey(bytes: bytes, format: .pem))
        } catch {
            report("\(path) is not a PEM private key (expected a -----BEGIN PRIVATE KEY----- block)")
            return nil
        }
    }
}

extension TLSCertificateConfig {
    /// Reads a chain and its key from the files at `certNode` and `keyNode`, and checks
    /// that the key belongs to the leaf certificate.
    static func read(cert certNode: ConfigNode, key keyNode: ConfigNode) -> TLSCertificateConfig? {
        let chain = certNode.pemCertificates(what: "certificate")
        let key = keyNode.pemPrivateKey()
        guard let chain, let key else { return nil }
        // BoringSSL checks the pair when a context takes it: the same check a handshake relies on.
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.certificates.map { .certificate($0) },
            privateKey: .privateKey(key.key)
        )
        configuration.minimumTLSVersion = .tlsv12
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            keyNode.report("the private key in \(key.path) does not belong to the certificate in \(chain.path)")
            return nil
        }
        return TLSCertificateConfig(certFile: chain.path, keyFile: key.path, chain: chain.certificates, privateKey: key.key)
    }

    /// The DNS names of the leaf certificate's subject alternative names, lowercased.
    var subjectAlternativeDNSNames: [String] {
        guard let leaf = chain.first else { return [] }
        return leaf._subjectAlternativeNames().compactMap { name in
            guard name.nameType == .dnsName else { return nil }
            return String(decoding: Array(name.contents), as: UTF8.self).lowercased()
        }
    }
}
