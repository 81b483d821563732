import Foundation
import XCTest

/// The two layers `scripts/bench` measures under Pylon are built with it: `nio-relay`
/// (SwiftNIO relaying bytes) and `core-proxy` (the proxy framework with a one-peer
/// `ProxyHTTP`). Their rows are only worth comparing while each does what the bench says
/// it does, so each is run here in front of a real backend. Nothing looks at timings.
final class BenchLayerTests: IntegrationTestCase {
    func testCoreProxyForwardsThroughTheFrameworkAddingForwardingFieldsAndPoolingItsUpstream() throws {
        let backend = try startBackend()
        let port = try startLayer("core-proxy", inFrontOf: backend)

        for _ in 0..<3 {
            let result = try Curl.run("http://127.0.0.1:\(port)/echo", headers: [("Connection", "keep-alive, X-Drop"), ("X-Drop", "1")])
            XCTAssertEqual(result.status, 200, "\(result)")
            XCTAssertEqual(result.header(named: "X-Backend"), backend.name, "\(result)")
        }
        let forwarded = try XCTUnwrap(backend.receivedRequests.last)
        XCTAssertEqual(forwarded.headers["X-Forwarded-For"], ["127.0.0.1"])
        XCTAssertEqual(forwarded.headers["X-Forwarded-Proto"], ["http"])
        XCTAssertEqual(forwarded.headers["Via"], ["1.1 pylon"])
        XCTAssertEqual(forwarded.headers["X-Drop"], [], "a field Connection names is hop-by-hop")
        XCTAssertEqual(backend.acceptedConnections, 1, "the probe and three requests, one pooled upstream connection")
    }

    func testBareCoreProxyAddsNoForwardingFieldsAndNoVia() throws {
        let backend = try startBackend()
        let port = try startLayer("core-proxy", inFrontOf: backend, arguments: ["bare"])

        let result = try Curl.run("http://127.0.0.1:\(port)/echo", headers: [("X-Forwarded-For", "192.0.2.7")])
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.header(named: "Via"), nil, "\(result)")
        let forwarded = try XCTUnwrap(backend.receivedRequests.last)
        XCTAssertEqual(forwarded.headers["X-Forwarded-For"], ["192.0.2.7"], "passed on as it came")
        XCTAssertEqual(forwarded.headers["X-Forwarded-Proto"], [])
        XCTAssertEqual(forwarded.headers["Via"], [])
    }

    func testNIORelayPassesTheRequestBytesUnchanged() throws {
        let backend = try startBackend()
        let port = try startLayer("nio-relay", inFrontOf: backend)

        let result = try Curl.run("http://127.0.0.1:\(port)/echo", headers: [("X-Drop", "1")])
        XCTAssertEqual(result.status, 200, "\(result)")
        let relayed = try XCTUnwrap(backend.receivedRequests.last)
        XCTAssertEqual(relayed.headers["X-Drop"], ["1"])
        XCTAssertEqual(relayed.headers["Via"], [], "no HTTP work: nothing added")
    }

    /// Starts the layer binary next to pylon on a free port in front of `backend`, with
    /// `arguments` after the two ports, and waits until it answers; the probe requests
    /// reach the backend too.
    private func startLayer(_ name: String, inFrontOf backend: TestBackend, arguments: [String] = []) throws -> Int {
        let binary = try PylonBinary.sibling(name)
        let port = try freePort()
        let process = try startProcess(executable: binary, arguments: [String(port), String(backend.port)] + arguments)
        let answered = waitUntil(timeout: 10) {
            (try? Curl.run("http://127.0.0.1:\(port)/", maxTime: 1).status) == 200
        }
        XCTAssertTrue(answered, "\(name) did not answer on \(port): \(process.logTail())")
        return port
    }
}
