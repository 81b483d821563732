import Foundation
import XCTest

/// The client IP the gateway believes: X-Forwarded-For and PROXY protocol headers count
/// only from `trusted_proxies`; the upstream's X-Forwarded-For and the access log's
/// `client` show that IP. Request IDs: generated when absent, kept when well-formed and sent
/// by a trusted proxy (or anyone, with `trust_incoming: always`), sent upstream, back to the
/// client and into the access log.
final class GatewayClientIdentityTests: GatewayTestCase {
    /// A gateway with a plain listener (`port`) and, when `proxyProtocol`, a second one
    /// (`proxyPort`) that requires PROXY protocol headers; everything goes to `backend`.
    private struct IdentityGateway {
        let process: PylonProcess
        let port: Int
        let proxyPort: Int?
        var url: String { "http://127.0.0.1:\(port)" }

        func accessLog(where predicate: (AccessLogLine) -> Bool) -> AccessLogLine? {
            process.waitForAccessLogLine(where: predicate)
        }
    }

    private func startIdentityGateway(
        backend: TestBackend, trustedProxies: [String]?, proxyProtocol: Bool = false, extra: String = ""
    ) throws -> IdentityGateway {
        let port = try freePort()
        let proxyPort = proxyProtocol ? try freePort() : nil
        var yaml = ""
        if let trustedProxies {
            yaml += "trusted_proxies: [" + trustedProxies.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
        }
        yaml += """
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}

            """
        if let proxyPort {
            yaml += "  - {name: lb, address: \"127.0.0.1:\(proxyPort)\", proxy_protocol: true}\n"
        }
        yaml += """
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}
            access_log: {format: logfmt}
            \(extra)

            """
        let process = try startPylon(["run", "-c", try writeConfig(yaml), "--single-process"])
        try process.waitUntilAccepting(port: port)
        if let proxyPort { try process.waitUntilAccepting(port: proxyPort) }
        return IdentityGateway(process: process, port: port, proxyPort: proxyPort)
    }

    private func report(_ body: [UInt8]) throws -> BackendRequestReport {
        try JSONDecoder().decode(BackendRequestReport.self, from: Data(body))
    }

    private func report(_ body: Data) throws -> BackendRequestReport {
        try JSONDecoder().decode(BackendRequestReport.self, from: body)
    }

    /// Sends `preamble` then a GET of `path` on a fresh connection to `port`.
    private func requestWithPreamble(_ preamble: [UInt8], port: Int, path: String, headers: [String] = []) throws -> (RawConnection, RawHTTPResponse) {
        let connection = try RawConnection(port: port)
        try connection.send(preamble + Array(RawRequest.get(path, headers: headers).utf8))
        return (connection, try connection.readResponse())
    }

    private static func proxyV2(source: [UInt8], destination: [UInt8], sourcePort: UInt16, destinationPort: UInt16, command: UInt8 = 1) -> [UInt8] {
        let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
        let family: UInt8 = command == 0 ? 0x00 : (source.count == 4 ? 0x11 : 0x21)
        var block = source + destination
        block += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF)]
        if command == 0 { block = [] }
        return signature + [0x20 | command, family, UInt8(block.count >> 8), UInt8(block.count & 0xFF)] + block
    }

    // MARK: X-Forwarded-For

    func testForwardedForFromAnUntrustedClientIsIgnored() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["10.0.0.0/8"])
        let result = try Curl.run(gateway.url + "/headers?untrusted", headers: [("X-Forwarded-For", "203.0.113.7")])
        XCTAssertEqual(result.status, 200, "\(result)")
        let seen = try report(result.body)
        XCTAssertEqual(seen.values("x-forwarded-for"), ["127.0.0.1"], "the spoofed entry is dropped, the TCP peer is the client")
        let line = gateway.accessLog { $0["path"] == "/headers?untrusted" }
        XCTAssertEqual(line?["client"], "127.0.0.1", "\(line.map { "\($0)" } ?? "no access-log line")")
    }

    func testForwardedForFromATrustedProxyNamesTheClient() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1", "10.0.0.0/8"])
        let result = try Curl.run(gateway.url + "/headers?trusted", headers: [("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.1.2.3")])
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(
            try report(result.body).values("x-forwarded-for"), ["6.6.6.6, 203.0.113.7, 10.1.2.3, 127.0.0.1"],
            "a trusted proxy's chain is kept and the peer appended"
        )
        let line = gateway.accessLog { $0["path"] == "/headers?trusted" }
        XCTAssertEqual(line?["client"], "203.0.113.7", "the rightmost untrusted entry: \(line.map { "\($0)" } ?? "no line")")
    }

    // MARK: X-Forwarded-Proto

    func testForwardedProtoFromATrustedProxyReachesTheUpstream() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1"])
        // A TLS-terminating balancer in front says the client used HTTPS; the last element
        // is the one the nearest proxy wrote.
        let result = try Curl.run(gateway.url + "/headers?proto", headers: [("X-Forwarded-Proto", "http, HTTPS")])
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(try report(result.body).values("x-forwarded-proto"), ["https"])
        let nonsense = try Curl.run(gateway.url + "/headers?proto2", headers: [("X-Forwarded-Proto", "gopher")])
        XCTAssertEqual(try report(nonsense.body).values("x-forwarded-proto"), ["http"], "an unusable value leaves the listener's scheme")
    }

    func testForwardedProtoFromAnUntrustedClientIsReplacedByTheListenersScheme() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["10.0.0.0/8"])
        let result = try Curl.run(gateway.url + "/headers?spoof", headers: [("X-Forwarded-Proto", "https")])
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(try report(result.body).values("x-forwarded-proto"), ["http"])
    }

    // MARK: PROXY protocol

    func testProxyProtocolV1FromATrustedSourceSetsTheClientForTheWholeConnection() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1"], proxyProtocol: true)
        let port = try XCTUnwrap(gateway.proxyPort)
        let preamble = Array("PROXY TCP4 203.0.113.7 127.0.0.1 51000 \(port)\r\n".utf8)
        let (connection, first) = try requestWithPreamble(preamble, port: port, path: "/headers?v1")
        defer { connection.close() }
        XCTAssertEqual(first.statusCode, 200, "\(first)")
        XCTAssertEqual(try report(first.body).values("x-forwarded-for"), ["203.0.113.7"], "the header's source, not the balancer")
        // The next request on the kept-alive connection comes from the same client.
        try connection.send(RawRequest.get("/headers?v1-again"))
        let second = try connection.readResponse()
        XCTAssertEqual(try report(second.body).values("x-forwarded-for"), ["203.0.113.7"])
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?v1" }?["client"], "203.0.113.7")
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?v1-again" }?["client"], "203.0.113.7")
    }

    func testProxyProtocolV2FromATrustedSourceSetsAnIPv6Client() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1"], proxyProtocol: true)
        let port = try XCTUnwrap(gateway.proxyPort)
        let source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [7]
        let destination: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let preamble = Self.proxyV2(source: source, destination: destination, sourcePort: 51000, destinationPort: UInt16(port))
        let (connection, response) = try requestWithPreamble(preamble, port: port, path: "/headers?v2")
        connection.close()
        XCTAssertEqual(response.statusCode, 200, "\(response)")
        XCTAssertEqual(try report(response.body).values("x-forwarded-for"), ["2001:db8::7"])
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?v2" }?["client"], "2001:db8::7")

        // LOCAL (a balancer's health check): the connection's own address stands.
        let local = Self.proxyV2(source: [], destination: [], sourcePort: 0, destinationPort: 0, command: 0)
        let (localConnection, localResponse) = try requestWithPreamble(local, port: port, path: "/headers?local")
        localConnection.close()
        XCTAssertEqual(localResponse.statusCode, 200, "\(localResponse)")
        XCTAssertEqual(try report(localResponse.body).values("x-forwarded-for"), ["127.0.0.1"])
    }

    func testProxyProtocolSourceThatIsATrustedProxyHasItsForwardedForWalked() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1", "10.0.0.0/8"], proxyProtocol: true)
        let port = try XCTUnwrap(gateway.proxyPort)
        let preamble = Array("PROXY TCP4 10.0.0.9 127.0.0.1 51000 \(port)\r\n".utf8)
        let (connection, response) = try requestWithPreamble(preamble, port: port, path: "/headers?chain", headers: ["X-Forwarded-For: 203.0.113.7"])
        connection.close()
        XCTAssertEqual(response.statusCode, 200, "\(response)")
        XCTAssertEqual(try report(response.body).values("x-forwarded-for"), ["203.0.113.7, 10.0.0.9"])
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?chain" }?["client"], "203.0.113.7")
    }

    func testProxyProtocolFromAnUntrustedSourceIsClosedUnanswered() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["10.0.0.0/8"], proxyProtocol: true)
        let port = try XCTUnwrap(gateway.proxyPort)
        for preamble in [
            Array("PROXY TCP4 203.0.113.7 127.0.0.1 51000 \(port)\r\n".utf8),
            Self.proxyV2(source: [203, 0, 113, 7], destination: [127, 0, 0, 1], sourcePort: 51000, destinationPort: UInt16(port)),
        ] {
            let connection = try RawConnection(port: port)
            try? connection.send(preamble + Array(RawRequest.get("/headers?untrusted-proxy").utf8))
            XCTAssertThrowsError(try connection.readResponse(timeout: 3), "no response, the connection is closed") { error in
                guard case RawConnectionError.closedByPeer(let received) = error else {
                    return XCTFail("expected the gateway to close the connection, got \(error)")
                }
                XCTAssertEqual(received, [], "nothing was answered")
            }
            connection.close()
        }
        try gateway.process.waitForLog(containing: "not trusted to send a PROXY protocol header")
        XCTAssertNil(backend.receivedRequests.first { $0.uri.contains("untrusted-proxy") }, "nothing reached the backend")
        // The plain listener still serves that peer directly, and takes a PROXY header
        // for what it is there: not HTTP.
        XCTAssertEqual(try Curl.run(gateway.url + "/").status, 200)
        let (plain, refused) = try requestWithPreamble(Array("PROXY TCP4 203.0.113.7 127.0.0.1 1 2\r\n".utf8), port: gateway.port, path: "/")
        plain.close()
        XCTAssertEqual(refused.statusCode, 400, "\(refused)")
    }

    func testProxyProtocolListenerClosesConnectionsWithoutAValidHeader() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1"], proxyProtocol: true)
        let port = try XCTUnwrap(gateway.proxyPort)
        for preamble in ["", "PROXY TCP4 203.0.113.07 127.0.0.1 1 2\r\n", "PROXY TCP4 203.0.113.7 127.0.0.1 1 2\n"] {
            let connection = try RawConnection(port: port)
            try? connection.send(Array(preamble.utf8) + Array(RawRequest.get("/headers?no-header").utf8))
            XCTAssertThrowsError(try connection.readResponse(timeout: 3), "\(preamble.debugDescription): no answer")
            connection.close()
        }
        try gateway.process.waitForLog(containing: "invalid PROXY protocol header")
        XCTAssertNil(backend.receivedRequests.first { $0.uri.contains("no-header") })
        XCTAssertTrue(gateway.process.isRunning, "bad input never takes the process down")
    }

    // MARK: Request IDs

    func testRequestIDIsGeneratedWhenAbsentAndReachesUpstreamResponseAndLog() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: nil)
        let result = try Curl.run(gateway.url + "/headers?generated")
        XCTAssertEqual(result.status, 200, "\(result)")
        let id = try XCTUnwrap(result.header(named: "X-Request-Id"), "the client gets the ID: \(result.headers)")
        XCTAssertNotNil(id.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression), id)
        XCTAssertEqual(try report(result.body).values("x-request-id"), [id], "the upstream gets the same ID")
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?generated" }?["request_id"], id)

        let other = try Curl.run(gateway.url + "/headers?generated-again")
        XCTAssertNotEqual(other.header(named: "X-Request-Id"), id, "every request gets its own")
        // The gateway's own answers carry one too, even to a request it could not parse.
        let connection = try RawConnection(port: gateway.port)
        defer { connection.close() }
        try connection.send("GET /bad HTTP/1.1\r\nHost : a\r\n\r\n")
        let badRequest = try connection.readResponse()
        XCTAssertEqual(badRequest.statusCode, 400, "\(badRequest)")
        XCTAssertNotNil(badRequest.header(named: "X-Request-Id"), "\(badRequest)")
    }

    func testWellFormedIncomingRequestIDIsKeptAndAMalformedOneReplaced() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1"])
        let kept = try Curl.run(gateway.url + "/headers?kept", headers: [("X-Request-Id", "trace-42.abc")])
        XCTAssertEqual(kept.header(named: "X-Request-Id"), "trace-42.abc")
        XCTAssertEqual(try report(kept.body).values("x-request-id"), ["trace-42.abc"])
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?kept" }?["request_id"], "trace-42.abc")

        let long = String(repeating: "x", count: 129)
        let replaced = try Curl.run(gateway.url + "/headers?replaced", headers: [("X-Request-Id", long)])
        let id = try XCTUnwrap(replaced.header(named: "X-Request-Id"))
        XCTAssertNotEqual(id, long)
        XCTAssertEqual(try report(replaced.body).values("x-request-id"), [id], "the upstream never sees the malformed one")
    }

    func testAnUntrustedClientsRequestIDIsReplaced() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["10.0.0.0/8"])
        let result = try Curl.run(gateway.url + "/headers?spoofed-id", headers: [("X-Request-Id", "spoofed-42")])
        XCTAssertEqual(result.status, 200, "\(result)")
        let id = try XCTUnwrap(result.header(named: "X-Request-Id"))
        XCTAssertNotEqual(id, "spoofed-42", "the client is not a trusted proxy")
        XCTAssertEqual(try report(result.body).values("x-request-id"), [id], "the upstream never sees the client's ID")
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?spoofed-id" }?["request_id"], id)
    }

    func testBehindATrustedL4BalancerTheClientsRequestIDIsNotTrusted() throws {
        // The balancer (127.0.0.1) is trusted, but with PROXY protocol the headers are its
        // client's own: what counts is the header's source, 203.0.113.7.
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: ["127.0.0.1"], proxyProtocol: true)
        let port = try XCTUnwrap(gateway.proxyPort)
        let preamble = Array("PROXY TCP4 203.0.113.7 127.0.0.1 51000 \(port)\r\n".utf8)
        let (connection, response) = try requestWithPreamble(
            preamble, port: port, path: "/headers?l4", headers: ["X-Request-Id: from-the-internet"]
        )
        connection.close()
        XCTAssertEqual(response.statusCode, 200, "\(response)")
        XCTAssertNotEqual(response.header(named: "X-Request-Id"), "from-the-internet")
        XCTAssertNotEqual(try report(response.body).values("x-request-id"), ["from-the-internet"])
    }

    func testTrustIncomingAlwaysKeepsAnyClientsID() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: nil, extra: "request_id: {trust_incoming: always}")
        let result = try Curl.run(gateway.url + "/headers?always", headers: [("X-Request-Id", "client-7")])
        XCTAssertEqual(result.header(named: "X-Request-Id"), "client-7")
        XCTAssertEqual(try report(result.body).values("x-request-id"), ["client-7"])
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?always" }?["request_id"], "client-7")
    }

    func testRequestIDHeaderNameAndJSONLogField() throws {
        let backend = try startBackend(name: "b")
        let port = try freePort()
        let yaml = """
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}
            access_log: {format: json}
            request_id: {header: X-Correlation-Id, trust_incoming: always}

            """
        let process = try startPylon(["run", "-c", try writeConfig(yaml), "--single-process"])
        try process.waitUntilAccepting(port: port)
        let result = try Curl.run("http://127.0.0.1:\(port)/headers", headers: [("X-Correlation-Id", "corr-1")])
        XCTAssertEqual(result.header(named: "X-Correlation-Id"), "corr-1")
        XCTAssertNil(result.header(named: "X-Request-Id"))
        XCTAssertEqual(try report(result.body).values("x-correlation-id"), ["corr-1"])
        var object: [String: Any]?
        waitUntil(timeout: 5, pollInterval: 0.02) {
            guard let line = process.stdoutText().split(separator: "\n").first else { return false }
            object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object != nil
        }
        XCTAssertEqual(object?["request_id"] as? String, "corr-1", "\(object ?? [:])")
        XCTAssertEqual(object?["client"] as? String, "127.0.0.1")
    }

    func testRequestIDsCanBeTurnedOff() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startIdentityGateway(backend: backend, trustedProxies: nil, extra: "request_id: {enabled: false}")
        let result = try Curl.run(gateway.url + "/headers?off", headers: [("X-Request-Id", "as is")])
        XCTAssertEqual(result.status, 200)
        XCTAssertNil(result.header(named: "X-Request-Id"))
        XCTAssertEqual(try report(result.body).values("x-request-id"), ["as is"], "passed through untouched")
        XCTAssertEqual(gateway.accessLog { $0["path"] == "/headers?off" }?["request_id"], "-")
    }
}
