import Foundation
import NIOCore
import NIOSSL
import XCTest

/// Base of the tests of upstreams set to `protocol: http2`: in-process HTTP/2 backends (h2c,
/// or TLS whose certificate names `backend.test` and 127.0.0.1, issued by the test CA), and
/// a gateway in front of them with an HTTPS listener (`a.test`, where clients speak HTTP/2)
/// and a plain one (`http`, where they speak HTTP/1.1).
class HTTP2UpstreamTestCase: TLSTestCase {
    /// An `HTTP2TestBackend`, shut down when the test ends; with `tls`, HTTPS offering `alpn`.
    func startHTTP2Backend(
        tls: Bool = false, alpn: [String] = ["h2"], options: HTTP2TestBackend.Options = .init()
    ) throws -> HTTP2TestBackend {
        let backend = try HTTP2TestBackend(tls: tls ? try backendTLS(alpn: alpn) : nil, options: options)
        addTeardownBlock { backend.shutdown() }
        return backend
    }

    /// A server context for a backend at `backend.test` / 127.0.0.1 offering `alpn`.
    func backendTLS(alpn: [String]) throws -> NIOSSLContext {
        let certificate = try certificateAuthority().issue(
            commonName: "Pylon Backend", dnsNames: ["backend.test"], ipAddresses: ["127.0.0.1"], fileName: "backend"
        )
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.keyPath, format: .pem))
        )
        configuration.applicationProtocols = alpn
        return try NIOSSLContext(configuration: configuration)
    }

    /// Starts pylon with an HTTPS listener for `a.test` and a plain `http` listener, routing
    /// everything to `target` with `protocol: http2` (TLS to it verified against the test
    /// CA with SNI `backend.test` when `upstreamTLS`), plus `upstreamOptions` (YAML lines).
    /// `workers`: event loops, each with its own upstream connections; one makes every
    /// request share them.
    func startGateway(
        to target: String, upstreamTLS: Bool = false, upstreamOptions: [String] = [], limits: String? = nil,
        workers: Int? = nil
    ) throws -> TLSGatewayUnderTest {
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        var upstream = ["targets: [\"\(target)\"]", "protocol: http2"] + upstreamOptions
        if upstreamTLS { upstream.append("tls: {sni: backend.test, ca_file: Pylon-Test-CA-ca.pem}") }
        return try startTLSGateway(
            tls: "certificates: [{cert: a.pem, key: a.key}]",
            body: (workers.map { "workers: \($0)\n" } ?? "") + """
                upstreams:
                  default:
                \(upstream.map { "    " + $0 }.joined(separator: "\n"))
                routes:
                  - {path_prefix: /, upstream: default}

                """,
            extraListeners: ["http": ""], limits: limits
        )
    }

    /// One request from an HTTP/1.1 client, to the plain listener.
    func h1Request(
        _ gateway: TLSGatewayUnderTest, _ path: String, method: String? = nil, headers: [(String, String)] = [],
        body: CurlRequestBody? = nil, discardBody: Bool = false, maxTime: Double = 30
    ) throws -> CurlResult {
        try Curl.run(
            "http://127.0.0.1:\(gateway.otherPorts["http"]!)\(path)", method: method, headers: headers, body: body,
            maxTime: maxTime, discardBody: discardBody, extraArguments: ["--http1.1"]
        )
    }

    /// One request from an HTTP/2 client, to the HTTPS listener.
    func h2Request(
        _ gateway: TLSGatewayUnderTest, _ path: String, method: String? = nil, headers: [(String, String)] = [],
        body: CurlRequestBody? = nil, discardBody: Bool = false, maxTime: Double = 30
    ) throws -> CurlResult {
        try Curl.run(
            "https://a.test:\(gateway.port)\(path)", method: method, headers: headers, body: body, maxTime: maxTime,
            discardBody: discardBody,
            extraArguments: ["--http2", "--cacert", gateway.authority.certificatePath, "--resolve", "a.test:\(gateway.port):127.0.0.1"]
        )
    }

    /// Runs `/usr/bin/nghttp` with `arguments` to completion; its stdout (with `-v`: every
    /// frame, header and trailer field it sent and received).
    func runNghttp(_ arguments: [String], timeout: Double = 30) throws -> (exitCode: Int32?, output: String) {
        let process = try startProcess(executable: "/usr/bin/nghttp", arguments: arguments, label: "nghttp")
        let code = process.waitForExit(timeout: timeout)
        return (code, process.stdoutText() + process.stderrText())
    }

    /// `count` bytes of pseudo-random data in a new file.
    func makeRandomFile(size count: Int) throws -> (path: String, data: Data) {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        for index in stride(from: 0, to: count, by: 8) {
            let word = generator.next() as UInt64
            for offset in 0..<min(8, count - index) { bytes[index + offset] = UInt8(truncatingIfNeeded: word >> (offset * 8)) }
        }
        let path = "\(try makeTempDirectory())/random-\(count).bin"
        let data = Data(bytes)
        try data.write(to: URL(fileURLWithPath: path))
        return (path, data)
    }

    /// A gRPC request body: one length-prefixed message.
    static func grpcMessage(_ text: String) -> Data {
        var data = Data([0])
        withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(text.utf8))
        return data
    }
}
