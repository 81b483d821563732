import Foundation
import XCTest

/// Issue "Proxy foundation" 2.4: hop-by-hop fields stay on their hop (RFC 9110 §7.6.1),
/// forwarding headers are added per config, and Host is kept or rewritten per config.
/// The backend's `/headers` reports exactly what reached it.
final class ProxyForwardingHeadersTests: IntegrationTestCase {
    private func forwardedReport(_ proxy: RunningProxy, headers: [(String, String)], file: StaticString = #filePath, line: UInt = #line) throws -> BackendRequestReport {
        let result = try Curl.run(proxy.url + "/headers", headers: headers)
        XCTAssertEqual(result.status, 200, "\(result)", file: file, line: line)
        return try JSONDecoder().decode(BackendRequestReport.self, from: result.body)
    }

    func testHopByHopRequestHeadersDoNotReachTheBackend() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let report = try forwardedReport(proxy, headers: [
            ("Connection", "close, X-Foo"),
            ("X-Foo", "named-by-connection"),
            ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"),
            ("Upgrade", "websocket"),
            ("Proxy-Connection", "keep-alive"),
            ("X-End-To-End", "kept"),
        ])
        for name in ["x-foo", "keep-alive", "te", "upgrade", "proxy-connection"] {
            XCTAssertEqual(report.values(name), [], "\(name) must not be forwarded; backend saw \(report.headers)")
        }
        XCTAssertFalse(
            report.values("connection").contains { $0.lowercased().contains("x-foo") || $0.lowercased().contains("close") },
            "the client's Connection header is hop-by-hop: \(report.values("connection"))"
        )
        XCTAssertEqual(report.values("x-end-to-end"), ["kept"], "end-to-end headers pass")
    }

    func testHopByHopResponseHeadersDoNotReachTheClient() throws {
        let backend = try startBackend(extraHeaders: [
            ("Connection", "X-Upstream-Secret"),
            ("X-Upstream-Secret", "s3cret"),
            ("Keep-Alive", "timeout=99"),
            ("Upgrade", "h2c"),
            ("X-Visible", "yes"),
        ])
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/"))
        let response = try connection.readResponse()
        XCTAssertEqual(response.statusCode, 200, "\(response)")
        for name in ["x-upstream-secret", "keep-alive", "upgrade"] {
            XCTAssertNil(response.header(named: name), "\(name) must not be relayed: \(response)")
        }
        XCTAssertFalse(response.headers(named: "connection").contains { $0.lowercased().contains("x-upstream-secret") }, "\(response)")
        XCTAssertEqual(response.header(named: "x-visible"), "yes")
    }

    func testForwardingHeadersAreAppendedAndAdded() throws {
        let backend = try startBackend()
        // Only a trusted proxy's X-Forwarded-For is kept and appended to, and only its
        // X-Forwarded-Proto believed (an untrusted client's are dropped and replaced:
        // GatewayClientIdentityTests).
        let proxy = try startProxy(in: backend) { $0.trustedProxies = ["127.0.0.1"] }
        let report = try forwardedReport(proxy, headers: [
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Forwarded-Proto", "https"),
            ("Via", "1.0 edge"),
        ])
        XCTAssertEqual(report.values("x-forwarded-for"), ["203.0.113.7, 127.0.0.1"], "the client's IP is appended")
        // A trusted proxy's scheme is kept (an untrusted client's is replaced by the
        // listener's: GatewayClientIdentityTests).
        XCTAssertEqual(report.values("x-forwarded-proto"), ["https"], "the trusted proxy's scheme is kept")
        XCTAssertEqual(report.values("via"), ["1.0 edge, 1.1 pylon"])

        let fresh = try forwardedReport(proxy, headers: [])
        XCTAssertEqual(fresh.values("x-forwarded-for"), ["127.0.0.1"])
        XCTAssertEqual(fresh.values("x-forwarded-proto"), ["http"])
        XCTAssertEqual(fresh.values("via"), ["1.1 pylon"])
    }

    func testForwardingHeadersAppendToEveryExistingFieldLine() throws {
        // Several field lines of one name mean their comma-joined list (RFC 9110 §5.3):
        // appending must keep every earlier hop, not only the first line's.
        let backend = try startBackend()
        let proxy = try startProxy(in: backend) { $0.trustedProxies = ["127.0.0.1"] }
        let report = try forwardedReport(proxy, headers: [
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Forwarded-For", "198.51.100.2"),
            ("Via", "1.1 first"),
            ("Via", "1.1 second"),
        ])
        func list(_ name: String) -> [String] {
            report.values(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        XCTAssertEqual(list("x-forwarded-for"), ["203.0.113.7", "198.51.100.2", "127.0.0.1"], "backend saw \(report.values("x-forwarded-for"))")
        XCTAssertEqual(list("via"), ["1.1 first", "1.1 second", "1.1 pylon"], "backend saw \(report.values("via"))")
    }

    func testViaIsAddedToResponsesAsConfigured() throws {
        // ForwardingConfig.via: "Add `Via: 1.1 pylon` to requests and responses".
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let result = try Curl.run(proxy.url + "/")
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.headers(named: "via"), ["1.1 pylon"], "response headers: \(result.headers)")
    }

    func testHostIsPreservedByDefault() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let report = try forwardedReport(proxy, headers: [("Host", "www.example.test:8080")])
        XCTAssertEqual(report.values("host"), ["www.example.test:8080"])
    }

    func testHostIsRewrittenToTheTargetWhenPreserveHostIsFalse() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend) {
            $0.forwarding = "{preserve_host: false}"
        }
        let report = try forwardedReport(proxy, headers: [("Host", "www.example.test")])
        XCTAssertEqual(report.values("host"), [backend.address])
    }

    func testForwardingHeadersAreNotAddedWhenDisabled() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend) {
            $0.forwarding = "{x_forwarded_for: false, x_forwarded_proto: false, via: false, preserve_host: true}"
        }
        let report = try forwardedReport(proxy, headers: [("X-Forwarded-For", "203.0.113.7")])
        XCTAssertEqual(report.values("x-forwarded-for"), ["203.0.113.7"], "passed through untouched, nothing appended")
        XCTAssertEqual(report.values("x-forwarded-proto"), [])
        XCTAssertEqual(report.values("via"), [])

        let result = try Curl.run(proxy.url + "/")
        XCTAssertEqual(result.headers(named: "via"), [])
    }
}
