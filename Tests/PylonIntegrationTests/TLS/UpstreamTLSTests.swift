import Foundation
import XCTest

/// TLS towards upstreams: certificates verified against a configured CA with the SNI name
/// per upstream, refused (502, logged) when they do not match, client certificates, and
/// verification turned off only explicitly, with a warning.
final class UpstreamTLSTests: TLSTestCase {
    /// A plain-HTTP gateway listener in front of an HTTPS backend whose certificate names
    /// `backend.test` and 127.0.0.1, issued by the test CA.
    private func startGateway(
        upstreamTLS: String, healthCheck: String? = nil, backendRequiresClientCertificate: Bool = false
    ) throws -> (gateway: GatewayUnderTest, backend: TestBackend) {
        let authority = try certificateAuthority()
        let certificate = try authority.issue(
            commonName: "Pylon Backend", dnsNames: ["backend.test"], ipAddresses: ["127.0.0.1"], fileName: "backend"
        )
        let backend = try startBackend(
            name: "secure",
            tls: try backendTLSContext(certificate, requireClientCertificateFrom: backendRequiresClientCertificate ? authority : nil)
        )
        let gateway = try startGatewayUnderTest(
            """
            upstreams:
              default:
                targets: ["\(backend.address)"]
                tls: \(upstreamTLS)
            \(healthCheck.map { "    health_check: \($0)" } ?? "")
            routes:
              - {path_prefix: /, upstream: default}

            """
        )
        return (gateway, backend)
    }

    func testAnUpstreamCertificateFromTheConfiguredCAIsAccepted() throws {
        let (gateway, backend) = try startGateway(upstreamTLS: "{sni: backend.test, ca_file: Pylon-Test-CA-ca.pem}")
        let result = try gateway.request("/hello")
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.header(named: "X-Backend"), "secure")
        // Pools are per event loop: requests on one client connection share one, and the
        // connection the first request opened may be it.
        backend.resetRecords()
        let connection = try RawConnection(port: gateway.port)
        for index in 0..<3 {
            try connection.send(RawRequest.get("/again?n=\(index)"))
            let response = try connection.readResponse()
            XCTAssertEqual(response.statusCode, 200, "\(response)")
        }
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/again?n=0", "/again?n=1", "/again?n=2"])
        XCTAssertLessThanOrEqual(backend.acceptedConnections, 1, "the TLS connection is pooled and reused")
    }

    func testAnHTTPHealthCheckSpeaksTLSToATLSUpstream() throws {
        let (gateway, backend) = try startGateway(
            upstreamTLS: "{sni: backend.test, ca_file: Pylon-Test-CA-ca.pem}",
            healthCheck: "{http: {path: /healthz, interval: 50ms, timeout: 1s, fall: 1}}"
        )
        XCTAssertTrue(waitUntil(timeout: 5) { backend.receivedRequests.contains { $0.uri == "/healthz" } }, "no check arrived over TLS")
        // Several checks have run by now; plain HTTP to the TLS port would have failed each.
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(
            MetricsText.value(
                of: #"pylon_upstream_target_healthy{upstream="default",target="\#(backend.address)"}"#,
                in: try gateway.metricsText()
            ),
            "1"
        )
        XCTAssertEqual(try gateway.request("/").status, 200)
    }

    func testAnIPTargetWithoutSNIIsVerifiedAgainstItsAddress() throws {
        let (gateway, _) = try startGateway(upstreamTLS: "{ca_file: Pylon-Test-CA-ca.pem}")
        XCTAssertEqual(try gateway.request("/").status, 200)
    }

    func testACertificateForAnotherNameIsRefusedWith502() throws {
        let (gateway, backend) = try startGateway(upstreamTLS: "{sni: other.test, ca_file: Pylon-Test-CA-ca.pem}")
        let result = try gateway.request("/")
        XCTAssertEqual(result.status, 502, "\(result)")
        XCTAssertTrue(backend.receivedRequests.isEmpty, "nothing is sent to an upstream whose certificate was refused")
        try gateway.process.waitForLog(containing: "certificate for other.test refused")
        try gateway.waitForMetric(
            #"pylon_upstream_errors_total{kind="certificate_refused",upstream="default"}"#, equals: "2"
        )
    }

    func testACertificateFromAnUnknownCAIsRefusedWith502() throws {
        let stranger = try certificateAuthority("Pylon Stranger CA")
        let (gateway, backend) = try startGateway(
            upstreamTLS: "{sni: backend.test, ca_file: \(URL(fileURLWithPath: stranger.certificatePath).lastPathComponent)}"
        )
        let result = try gateway.request("/")
        XCTAssertEqual(result.status, 502, "\(result)")
        XCTAssertTrue(backend.receivedRequests.isEmpty)
        // The access log names the failure too; the diagnostic line is the one that says why.
        try gateway.process.waitForDiagnostic(containing: "CERTIFICATE_VERIFY_FAILED")
        XCTAssertTrue(gateway.process.stderrText().contains("refused"), gateway.process.logTail())
    }

    func testTurningVerificationOffAcceptsAnyCertificateAndWarns() throws {
        let (gateway, backend) = try startGateway(upstreamTLS: "{sni: other.test, verify: false}")
        let result = try gateway.request("/")
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(backend.receivedRequests.count, 1)
        try gateway.process.waitForLog(containing: "TLS certificate verification is off")
    }

    func testAClientCertificateIsPresentedToAnUpstreamThatRequiresOne() throws {
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon Gateway Client", fileName: "client")
        let (gateway, backend) = try startGateway(
            upstreamTLS: "{sni: backend.test, ca_file: Pylon-Test-CA-ca.pem, client_cert: client.pem, client_key: client.key}",
            backendRequiresClientCertificate: true
        )
        let result = try gateway.request("/mtls")
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/mtls"])
    }

    func testWithoutAClientCertificateAnUpstreamRequiringOneAnswers502() throws {
        let (gateway, backend) = try startGateway(
            upstreamTLS: "{sni: backend.test, ca_file: Pylon-Test-CA-ca.pem}", backendRequiresClientCertificate: true
        )
        let result = try gateway.request("/mtls")
        XCTAssertEqual(result.status, 502, "\(result)")
        XCTAssertTrue(backend.receivedRequests.isEmpty)
        try gateway.process.waitForLog(containing: "CERTIFICATE_REQUIRED")
        XCTAssertTrue(gateway.process.isRunning)
    }
}
