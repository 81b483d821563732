import Foundation

/// A throwaway certificate authority made with the `openssl` CLI in a test's directory, and
/// the certificates it issues: real PEM files, as an operator would have them.
///
/// EC P-256 keys, valid for two days, written unencrypted. `scripts/test` installs openssl.
struct TestCertificateAuthority {
    /// A certificate and its key on disk.
    struct Issued {
        let certificatePath: String
        let keyPath: String
        /// The subject's common name, to tell certificates apart in what a client saw.
        let commonName: String
    }

    let commonName: String
    let certificatePath: String
    let keyPath: String
    private let directory: String

    /// Creates a self-signed CA named `commonName` with files in `directory`.
    init(commonName: String, in directory: String) throws {
        self.commonName = commonName
        self.directory = directory
        let stem = Self.fileStem(commonName)
        self.certificatePath = "\(directory)/\(stem)-ca.pem"
        self.keyPath = "\(directory)/\(stem)-ca.key"
        try OpenSSL.run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", keyPath, "-out", certificatePath, "-days", "2", "-subj", "/CN=\(commonName)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    /// Issues a certificate for `commonName` valid for `dnsNames` and `ipAddresses`, usable by
    /// servers and clients alike. `fileName` names its files (default: the common name).
    func issue(
        commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [], fileName: String? = nil
    ) throws -> Issued {
        let stem = fileName ?? Self.fileStem(commonName)
        let certificatePath = "\(directory)/\(stem).pem"
        let keyPath = "\(directory)/\(stem).key"
        let requestPath = "\(directory)/\(stem).csr"
        let extensionsPath = "\(directory)/\(stem).ext"
        var extensions = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n"
        let alternativeNames = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        if !alternativeNames.isEmpty {
            extensions += "subjectAltName=\(alternativeNames.joined(separator: ","))\n"
        }
        try Data(extensions.utf8).write(to: URL(fileURLWithPath: extensionsPath))
        try OpenSSL.run([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", keyPath, "-out", requestPath, "-subj", "/CN=\(commonName)",
        ])
        try OpenSSL.run([
            "x509", "-req", "-in", requestPath, "-CA", self.certificatePath, "-CAkey", self.keyPath,
            "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-days", "2",
            "-extfile", extensionsPath, "-out", certificatePath,
        ])
        return Issued(certificatePath: certificatePath, keyPath: keyPath, commonName: commonName)
    }

    private static func fileStem(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" })
    }
}

/// Runs the `openssl` command line tool.
enum OpenSSL {
    static let executable = "/usr/bin/openssl"

    /// Runs `openssl arguments…` to completion; throws with its stderr when it fails.
    @discardableResult
    static func run(_ arguments: [String], timeout: Double = 30) throws -> String {
        let result = try runToExit(arguments, timeout: timeout)
        guard result.status == .exited(0) else {
            throw OpenSSLError.failed(arguments: arguments, status: result.status.description, stderr: result.stderr)
        }
        return result.stdout
    }

    /// Runs `openssl arguments…` (stdin empty) to completion, whatever its exit status.
    static func runToExit(
        _ arguments: [String], timeout: Double = 30
    ) throws -> (status: ChildProcess.ExitStatus, stdout: String, stderr: String) {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw OpenSSLError.missing(executable)
        }
        let directory = try TemporaryDirectory.make(prefix: "pylon-openssl")
        defer { TemporaryDirectory.remove(directory) }
        let child = try ChildProcess.spawn(
            executable: executable, arguments: arguments,
            stdoutPath: "\(directory)/out", stderrPath: "\(directory)/err"
        )
        let status = child.waitForExit(timeout: timeout) ?? child.kill()
        return (status, Self.text(of: "\(directory)/out"), Self.text(of: "\(directory)/err"))
    }

    /// A file's text, invalid UTF-8 replaced: s_client echoes whatever the server sends after
    /// the handshake (an HTTP/2 SETTINGS frame, say), and that must not hide the lines before it.
    static func text(of path: String) -> String {
        String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self)
    }
}

enum OpenSSLError: Error, CustomStringConvertible {
    case missing(String)
    case failed(arguments: [String], status: String, stderr: String)

    var description: String {
        switch self {
        case .missing(let path):
            return "\(path) not found: install openssl (apt-get install openssl)"
        case .failed(let arguments, let status, let stderr):
            return "openssl \(arguments.joined(separator: " ")) \(status): \(stderr)"
        }
    }
}
