import Foundation
import XCTest

/// HTTPS listeners: certificates chosen by SNI with a default, TLS 1.2 and 1.3 only, ALPN
/// `h2` then `http/1.1`, and a plain listener that redirects to HTTPS.
final class TLSListenerTests: TLSTestCase {
    /// Two certificates, the second the default: `a.test` and `b.test` (and `*.b.test`).
    private func startTwoCertificateGateway(backend: TestBackend) throws -> TLSGatewayUnderTest {
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        _ = try authority.issue(commonName: "Pylon B", dnsNames: ["b.test", "*.b.test"], fileName: "b")
        return try startTLSGateway(
            tls: """
                certificates:
                  - {cert: a.pem, key: a.key}
                  - {cert: b.pem, key: b.key}
                default: b.test
                """,
            body: routeEverything(to: backend)
        )
    }

    func testEachServerNameGetsItsOwnCertificateOverTLS() throws {
        let backend = try startBackend()
        let gateway = try startTwoCertificateGateway(backend: backend)
        // curl checks the certificate against the name it asked for: success proves the choice.
        for host in ["a.test", "b.test", "shop.b.test", "A.TEST"] {
            let result = try gateway.request("/hello", host: host)
            XCTAssertEqual(result.exitCode, 0, "\(host): \(result)")
            XCTAssertEqual(result.status, 200, "\(host): \(result)")
        }
        XCTAssertEqual(try TLSClientProbe.handshake(port: gateway.port, serverName: "a.test").serverCommonName, "Pylon A")
        XCTAssertEqual(try TLSClientProbe.handshake(port: gateway.port, serverName: "shop.b.test").serverCommonName, "Pylon B")
        XCTAssertEqual(backend.receivedRequests.count, 4)
        XCTAssertEqual(backend.receivedRequests.last?.headers["X-Forwarded-Proto"], ["https"])
    }

    func testAnUnknownServerNameOrNoneGetsTheDefaultCertificate() throws {
        let backend = try startBackend()
        let gateway = try startTwoCertificateGateway(backend: backend)
        let unknown = try TLSClientProbe.handshake(port: gateway.port, serverName: "unknown.test")
        XCTAssertEqual(unknown.exitCode, 0, unknown.output)
        XCTAssertEqual(unknown.serverCommonName, "Pylon B", unknown.output)
        let none = try TLSClientProbe.handshake(port: gateway.port, serverName: nil)
        XCTAssertEqual(none.serverCommonName, "Pylon B", none.output)
        // A client that checks names refuses the default certificate for a name it does not carry
        // (curl: 60, peer certificate cannot be authenticated); the gateway serves on regardless.
        let refused = try gateway.request(host: "unknown.test")
        XCTAssertEqual(refused.exitCode, 60, "\(refused)")
        XCTAssertEqual(try gateway.request(host: "a.test").status, 200)
        XCTAssertTrue(gateway.process.isRunning)
    }

    func testALPNPrefersH2AndStillOffersHTTP11() throws {
        let backend = try startBackend()
        let gateway = try startTwoCertificateGateway(backend: backend)
        let both = try TLSClientProbe.handshake(port: gateway.port, serverName: "a.test", alpn: ["http/1.1", "h2"])
        XCTAssertEqual(both.negotiatedProtocol, "h2", both.output)
        let http11Only = try TLSClientProbe.handshake(port: gateway.port, serverName: "a.test", alpn: ["http/1.1"])
        XCTAssertEqual(http11Only.negotiatedProtocol, "http/1.1", http11Only.output)
        // curl offers h2 first and speaks it; told to use HTTP/1.1, it still can.
        let h2 = try gateway.request(host: "a.test", extraArguments: ["--http2"])
        XCTAssertTrue(h2.statusLine.hasPrefix("HTTP/2 200"), "\(h2)")
        let http11 = try gateway.request(host: "a.test", extraArguments: ["--http1.1"])
        XCTAssertTrue(http11.statusLine.hasPrefix("HTTP/1.1 200"), "\(http11)")
    }

    func testTLS12And13AreServedAndTLS11IsRefused() throws {
        let backend = try startBackend()
        let gateway = try startTwoCertificateGateway(backend: backend)
        let tls12 = try gateway.request(host: "a.test", extraArguments: ["--tlsv1.2", "--tls-max", "1.2"])
        XCTAssertEqual(tls12.status, 200, "\(tls12)")
        let tls13 = try gateway.request(host: "a.test", extraArguments: ["--tlsv1.3"])
        XCTAssertEqual(tls13.status, 200, "\(tls13)")
        // SECLEVEL=0 lets this curl really offer TLS 1.1, so the refusal is the gateway's.
        let tls11 = try gateway.request(
            host: "a.test", extraArguments: ["--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0"]
        )
        XCTAssertEqual(tls11.exitCode, 35, "\(tls11)")
        XCTAssertTrue(tls11.stderr.contains("protocol version"), tls11.stderr)
        try gateway.process.waitForLog(containing: "UNSUPPORTED_PROTOCOL")
        XCTAssertEqual(try gateway.request(host: "a.test").status, 200)
    }

    func testMinimumVersion13RefusesTLS12() throws {
        let backend = try startBackend()
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        let gateway = try startTLSGateway(
            tls: "certificates: [{cert: a.pem, key: a.key}]\nmin_version: \"1.3\"", body: routeEverything(to: backend)
        )
        let tls12 = try gateway.request(host: "a.test", extraArguments: ["--tls-max", "1.2"])
        XCTAssertEqual(tls12.exitCode, 35, "\(tls12)")
        XCTAssertEqual(try gateway.request(host: "a.test", extraArguments: ["--tlsv1.3"]).status, 200)
    }

    func testPlainHTTPToTheTLSPortIsClosedCleanlyAndLogged() throws {
        let backend = try startBackend()
        let gateway = try startTwoCertificateGateway(backend: backend)
        let socket = try LoopbackSocket(connectingTo: gateway.port)
        try socket.sendAll(Array("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".utf8))
        let (bytes, ending) = socket.readUntilClosed(timeout: 5)
        socket.close()
        XCTAssertEqual(ending, .endOfFile, "closed with a FIN, not a reset or left open; got \(bytes)")
        XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("HTTP/1.1 200"))
        try gateway.process.waitForDiagnostic(containing: "TLS handshake failed")
        XCTAssertTrue(gateway.process.stderrText().contains("plain HTTP"), gateway.process.logTail())
        XCTAssertEqual(try gateway.request(host: "a.test").status, 200)
        XCTAssertTrue(backend.receivedRequests.allSatisfy { $0.uri == "/" } && backend.receivedRequests.count == 1)
    }

    func testATruncatedHandshakeIsClosedByTheHandshakeTimeout() throws {
        let backend = try startBackend()
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        let gateway = try startTLSGateway(
            tls: "certificates: [{cert: a.pem, key: a.key}]", body: routeEverything(to: backend), limits: "{header_timeout: 1s}"
        )
        let socket = try LoopbackSocket(connectingTo: gateway.port)
        // A ClientHello record announcing 512 bytes, of which only the first few arrive.
        let record: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + Array(repeating: 0x2A, count: 16)
        let sent = Date()
        try socket.sendAll(record)
        let (bytes, ending) = socket.readUntilClosed(timeout: 10)
        let waited = Date().timeIntervalSince(sent)
        socket.close()
        XCTAssertEqual(ending, .endOfFile, "closed with a FIN; got \(bytes)")
        XCTAssertGreaterThanOrEqual(waited, 0.9, "closed by the 1 s handshake timeout, not at once")
        try gateway.process.waitForLog(containing: "TLS handshake not complete in time")
        XCTAssertEqual(try gateway.request(host: "a.test").status, 200)
    }

    func testAPlainListenerRedirectsToTheHTTPSOne() throws {
        let backend = try startBackend()
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon Shop", dnsNames: ["shop.test"], ipAddresses: ["127.0.0.1"], fileName: "shop")
        let gateway = try startTLSGateway(
            tls: "certificates: [{cert: shop.pem, key: shop.key}]",
            body: routeEverything(to: backend),
            extraListeners: ["http": "redirect_to_https: {{https}}"]
        )
        let plainPort = try XCTUnwrap(gateway.otherPorts["http"])
        let byIP = try Curl.run("http://127.0.0.1:\(plainPort)/cart/items?page=2", method: "POST", body: .string("x"))
        XCTAssertEqual(byIP.status, 308, "\(byIP)")
        XCTAssertEqual(byIP.header(named: "Location"), "https://127.0.0.1:\(gateway.port)/cart/items?page=2")
        let byName = try Curl.run(
            "http://shop.test:\(plainPort)/cart", extraArguments: ["--resolve", "shop.test:\(plainPort):127.0.0.1"]
        )
        XCTAssertEqual(byName.header(named: "Location"), "https://shop.test:\(gateway.port)/cart")
        XCTAssertTrue(backend.receivedRequests.isEmpty, "a redirect never goes upstream")
        // Following it lands on the HTTPS listener and the backend.
        let followed = try Curl.run(
            "http://shop.test:\(plainPort)/cart",
            extraArguments: [
                "-L", "--cacert", authority.certificatePath,
                "--resolve", "shop.test:\(plainPort):127.0.0.1", "--resolve", "shop.test:\(gateway.port):127.0.0.1",
            ]
        )
        XCTAssertEqual(followed.status, 200, "\(followed)")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/cart"])
    }

    func testRedirectsCarryARequestIDAndAreCountedUnderTheirOwnRoute() throws {
        let backend = try startBackend()
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon Shop", dnsNames: ["shop.test"], fileName: "shop")
        let metricsPort = try freePort()
        let gateway = try startTLSGateway(
            tls: "certificates: [{cert: shop.pem, key: shop.key}]",
            body: routeEverything(to: backend) + """
                metrics: {address: "127.0.0.1:\(metricsPort)"}
                request_id: {trust_incoming: always}

                """,
            extraListeners: ["http": "redirect_to_https: {{https}}"]
        )
        try gateway.process.waitUntilAccepting(port: metricsPort)
        let plainPort = try XCTUnwrap(gateway.otherPorts["http"])
        let generated = try Curl.run("http://127.0.0.1:\(plainPort)/a")
        XCTAssertEqual(generated.status, 308, "\(generated)")
        let generatedID = try XCTUnwrap(generated.header(named: "X-Request-Id"), "\(generated)")
        // `trust_incoming: always`: the client's own ID is kept, as on the gateway's listeners.
        let incoming = try Curl.run("http://127.0.0.1:\(plainPort)/b", headers: [("X-Request-Id", "client-chosen-1")])
        XCTAssertEqual(incoming.status, 308, "\(incoming)")
        XCTAssertEqual(incoming.header(named: "X-Request-Id"), "client-chosen-1")

        let logged = try XCTUnwrap(gateway.process.waitForAccessLogLine { $0["path"] == "/a" }, gateway.process.stdoutText())
        XCTAssertEqual(logged["request_id"], generatedID)
        XCTAssertEqual(gateway.process.waitForAccessLogLine { $0["path"] == "/b" }?["request_id"], "client-chosen-1")

        let series = #"pylon_requests_total{route="redirect_to_https",status="308",upstream="none"}"#
        var text = ""
        let counted = try waitUntil(timeout: 3, pollInterval: 0.05) {
            text = try Curl.run("http://127.0.0.1:\(metricsPort)/metrics").bodyText
            return MetricsText.value(of: series, in: text) == "2"
        }
        XCTAssertTrue(counted, "expected \(series) 2 in:\n\(text)")
        XCTAssertNotNil(MetricsText.value(of: #"pylon_request_duration_seconds_count{route="redirect_to_https"}"#, in: text), text)
    }

    func testRedirectsAreWrittenToTheAccessLogWithoutRouteOrUpstream() throws {
        let backend = try startBackend()
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon Shop", dnsNames: ["shop.test"], fileName: "shop")
        let gateway = try startTLSGateway(
            tls: "certificates: [{cert: shop.pem, key: shop.key}]",
            body: routeEverything(to: backend),
            extraListeners: ["http": "redirect_to_https: {{https}}"]
        )
        let plainPort = try XCTUnwrap(gateway.otherPorts["http"])
        let redirected = try Curl.run("http://127.0.0.1:\(plainPort)/logged?x=1")
        XCTAssertEqual(redirected.status, 308, "\(redirected)")
        let line = gateway.process.waitForAccessLogLine { $0["path"] == "/logged?x=1" }
        let logged = try XCTUnwrap(line, "no access-log line for the redirect: \(gateway.process.stdoutText())")
        XCTAssertEqual(logged["status"], "308", "\(logged)")
        XCTAssertEqual(logged["method"], "GET")
        XCTAssertEqual(logged["client"], "127.0.0.1")
        XCTAssertEqual(logged["route"], "redirect_to_https", "the route label its metrics carry")
        XCTAssertEqual(logged["upstream"], "-")
        XCTAssertEqual(logged["request_id"], redirected.header(named: "X-Request-Id"))
        XCTAssertNotEqual(logged["request_id"] ?? "-", "-")
        XCTAssertNotNil(logged["duration_ms"])
        XCTAssertNotNil(logged["time"])
    }
}
