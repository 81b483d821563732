import Foundation
import NIOSSL
import XCTest

/// A `pylon run --single-process` with an HTTPS listener, started by a TLS test.
struct TLSGatewayUnderTest {
    let process: PylonProcess
    let configPath: String
    /// The HTTPS listener's port on 127.0.0.1.
    let port: Int
    /// Ports of the other listeners, by name.
    let otherPorts: [String: Int]
    let authority: TestCertificateAuthority

    /// One request over HTTPS with the real curl, to `host` (resolved to 127.0.0.1, sent as
    /// SNI and checked against the certificate with the test CA).
    func request(_ path: String = "/", host: String, extraArguments: [String] = [], maxTime: Double = 10) throws -> CurlResult {
        try Curl.run(
            "https://\(host):\(port)\(path)", maxTime: maxTime,
            extraArguments: ["--cacert", authority.certificatePath, "--resolve", "\(host):\(port):127.0.0.1"] + extraArguments
        )
    }
}

/// Base of the TLS tests: a certificate authority of the test's own, certificates issued by
/// it into the test directory (next to the config, so configs name them by file name), and
/// gateways with an HTTPS listener.
class TLSTestCase: GatewayTestCase {
    private var authorities: [String: TestCertificateAuthority] = [:]

    override func tearDown() {
        authorities = [:]
        super.tearDown()
    }

    /// The CA called `name`, made on first use.
    func certificateAuthority(_ name: String = "Pylon Test CA") throws -> TestCertificateAuthority {
        if let authority = authorities[name] { return authority }
        let authority = try TestCertificateAuthority(commonName: name, in: try testDirectory())
        authorities[name] = authority
        return authority
    }

    /// Starts pylon with an `https` listener whose `tls:` mapping is `tls` (YAML, indented
    /// as a block under the key) and whose `http2:` is `http2` (a flow mapping), if any,
    /// `extraListeners` (YAML list items, `{{name}}` ports filled from `extraPorts`), and
    /// `body` (upstreams, routes, …).
    func startTLSGateway(
        tls: String, body: String, extraListeners: [String: String] = [:], limits: String? = nil, http2: String? = nil
    ) throws -> TLSGatewayUnderTest {
        let port = try freePort()
        var otherPorts: [String: Int] = [:]
        var yaml = """
            listeners:
              - name: https
                address: "127.0.0.1:\(port)"
                tls:
            \(tls.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))

            """
        if let http2 { yaml += "    http2: \(http2)\n" }
        for (name, options) in extraListeners.sorted(by: { $0.key < $1.key }) {
            let extraPort = try freePort()
            otherPorts[name] = extraPort
            yaml += "  - {name: \(name), address: \"127.0.0.1:\(extraPort)\"\(options.isEmpty ? "" : ", " + options.replacingOccurrences(of: "{{https}}", with: String(port)))}\n"
        }
        if let limits { yaml += "limits: \(limits)\n" }
        yaml += body
        let configPath = try writeConfig(yaml)
        let process = try startPylon(["run", "-c", configPath, "--single-process"], environment: ["PYLON_LOG_LEVEL": "debug"])
        try process.waitUntilAccepting(port: port)
        for extraPort in otherPorts.values { try process.waitUntilAccepting(port: extraPort) }
        return TLSGatewayUnderTest(
            process: process, configPath: configPath, port: port, otherPorts: otherPorts, authority: try certificateAuthority()
        )
    }

    /// The upstreams and routes of a gateway that sends everything to `backend`.
    func routeEverything(to backend: TestBackend, tls: String? = nil) -> String {
        """
        upstreams:
          default:
            targets: ["\(backend.address)"]
        \(tls.map { "    tls: \($0)" } ?? "")
        routes:
          - {path_prefix: /, upstream: default}

        """
    }

    /// A server context for an in-process HTTPS backend with `certificate`; with
    /// `requireClientCertificateFrom`, clients must present a certificate that CA issued.
    func backendTLSContext(
        _ certificate: TestCertificateAuthority.Issued, requireClientCertificateFrom clientAuthority: TestCertificateAuthority? = nil
    ) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.keyPath, format: .pem))
        )
        if let clientAuthority {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientAuthority.certificatePath))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

extension LoopbackSocket {
    /// Reads until the peer closes or `timeout` passes: the bytes received and how it ended.
    func readUntilClosed(timeout: Double) -> (bytes: [UInt8], ending: ReadResult) {
        let deadline = Date().addingTimeInterval(timeout)
        var bytes: [UInt8] = []
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return (bytes, .timedOut) }
            switch read(timeout: remaining) {
            case .data(let chunk): bytes += chunk
            case let ending: return (bytes, ending)
            }
        }
    }
}
