import Foundation
import XCTest

/// Certificates and keys for config tests, made with the `openssl` CLI in a fresh
/// directory (removed by `remove()`), next to which the test's config "file" lives.
struct TLSTestFiles {
    let directory: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pylon-tls-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        self.directory = base.path
    }

    /// A path for the config file, so relative paths in it resolve to this directory.
    var configPath: String { "\(directory)/pylon.yaml" }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A self-signed certificate `name.pem` with key `name.key` for `dnsNames`.
    @discardableResult
    func selfSigned(_ name: String, dnsNames: [String]) throws -> (cert: String, key: String) {
        let cert = "\(directory)/\(name).pem"
        let key = "\(directory)/\(name).key"
        var arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=\(name)",
        ]
        if !dnsNames.isEmpty {
            arguments += ["-addext", "subjectAltName=" + dnsNames.map { "DNS:\($0)" }.joined(separator: ",")]
        }
        try Self.openssl(arguments)
        return (cert, key)
    }

    /// Writes `key` encrypted with a passphrase to `name` in the directory.
    func encryptKey(_ key: String, to name: String) throws {
        try Self.openssl(["pkey", "-in", key, "-aes256", "-passout", "pass:secret", "-out", "\(directory)/\(name)"])
    }

    /// Writes `text` to `name` in the directory.
    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TLSTestFilesError("openssl \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }
}

struct TLSTestFilesError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
