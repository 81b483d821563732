import Foundation
import XCTest

/// Active health checks of targets proxied over HTTP/2: the `http` check speaks HTTP/2 to
/// them as requests do (a target that only speaks h2c would fail an HTTP/1.1 check).
final class HTTP2UpstreamHealthCheckTests: HTTP2UpstreamTestCase {
    private func healthy(_ metricsPort: Int, _ backend: HTTP2TestBackend) throws -> String? {
        let metrics = try Curl.run("http://127.0.0.1:\(metricsPort)/metrics")
        return MetricsText.value(
            of: #"pylon_upstream_target_healthy{upstream="default",target="\#(backend.address)"}"#, in: metrics.bodyText
        )
    }

    /// A gateway whose upstream checks `backend` at `path` every 50 ms; and its metrics port.
    private func startCheckedGateway(
        _ backend: HTTP2TestBackend, path: String, tls: Bool
    ) throws -> (gateway: TLSGatewayUnderTest, metricsPort: Int) {
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        let metricsPort = try freePort()
        let gateway = try startTLSGateway(
            tls: "certificates: [{cert: a.pem, key: a.key}]",
            body: """
                metrics: {address: "127.0.0.1:\(metricsPort)"}
                upstreams:
                  default:
                    targets: ["\(backend.address)"]
                    protocol: http2
                \(tls ? "    tls: {sni: backend.test, ca_file: Pylon-Test-CA-ca.pem}" : "")
                    health_check: {http: {path: \(path), interval: 50ms, timeout: 1s, rise: 1, fall: 1}}
                routes:
                  - {path_prefix: /, upstream: default}

                """,
            extraListeners: ["http": ""]
        )
        try gateway.process.waitUntilAccepting(port: metricsPort)
        return (gateway, metricsPort)
    }

    func testAnHTTPCheckOfAnH2cTargetSpeaksHTTP2() throws {
        let backend = try startHTTP2Backend()
        let (gateway, metricsPort) = try startCheckedGateway(backend, path: "/healthz", tls: false)
        XCTAssertTrue(waitUntil(timeout: 5) { backend.receivedRequests.contains { $0.uri == "/healthz" } }, "no check arrived")
        let check = try XCTUnwrap(backend.receivedRequests.first { $0.uri == "/healthz" })
        XCTAssertEqual(check.version.major, 2)
        XCTAssertEqual(check.headers["user-agent"], ["pylon-health-check"])
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(try healthy(metricsPort, backend), "1")
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)
    }

    func testAnHTTPCheckOfATLSTargetSpeaksHTTP2AndSeesItsStatus() throws {
        let backend = try startHTTP2Backend(tls: true)
        // 503 from the target: the check fails, the target goes down, requests get 503.
        let (gateway, metricsPort) = try startCheckedGateway(backend, path: "/status/503", tls: true)
        XCTAssertTrue(waitUntil(timeout: 5) { backend.receivedRequests.contains { $0.uri == "/status/503" } }, "no check arrived")
        XCTAssertTrue(backend.receivedRequests.allSatisfy { $0.version.major == 2 })
        XCTAssertTrue(waitUntil(timeout: 5) { (try? self.healthy(metricsPort, backend)) == "0" }, "a 503 check left the target up")
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 503)
    }
}
