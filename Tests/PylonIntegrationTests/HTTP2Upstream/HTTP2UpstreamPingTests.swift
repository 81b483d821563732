import Foundation
import NIOConcurrencyHelpers
import XCTest

/// `ping_interval` and `ping_timeout` on an HTTP/2 upstream: a connection that stopped
/// answering (a hung server, a lost network; here a backend that stops reading its
/// connections) is found by its unanswered PING and closed, instead of holding its streams
/// until `read_timeout` and taking new ones meanwhile. A connection that answers is kept.
final class HTTP2UpstreamPingTests: HTTP2UpstreamTestCase {
    /// `read_timeout` far beyond every wait below: only the PINGs can end these waits. The
    /// gateways run one event loop, so every request shares its upstream connections.
    private let options = ["ping_interval: 1s", "ping_timeout: 300ms", "read_timeout: 60s"]

    func testAConnectionThatAnswersNothingIsClosedAndTheNextRequestGetsANewOne() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address, upstreamOptions: options, workers: 1)
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)
        XCTAssertEqual(backend.acceptedConnections, 1)

        try backend.freezeConnections()
        XCTAssertTrue(
            waitUntil(timeout: 10) { gateway.process.stderrText().contains("not even a PING's answer") },
            "the silent connection was never taken for dead:\n\(gateway.process.logTail())"
        )
        let next = try h1Request(gateway, "/hello", maxTime: 10)
        XCTAssertEqual(next.status, 200, "\(next)")
        XCTAssertEqual(backend.acceptedConnections, 2, "the next request went on a new connection")
    }

    func testAStreamInFlightOnAConnectionThatStopsAnsweringFailsWith502BeforeItsReadTimeout() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address, upstreamOptions: options, workers: 1)
        let port = gateway.otherPorts["http"]!

        let result = NIOLockedValueBox<CurlResult?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let answer = try? Curl.run("http://127.0.0.1:\(port)/slow/30000", maxTime: 20, extraArguments: ["--http1.1"])
            result.withLockedValue { $0 = answer }
            finished.signal()
        }
        XCTAssertTrue(waitUntil(timeout: 10) { backend.receivedRequests.contains { $0.uri == "/slow/30000" } })
        try backend.freezeConnections()

        XCTAssertEqual(finished.wait(timeout: .now() + 15), .success, "the request waited on a dead connection")
        let answer = try XCTUnwrap(result.withLockedValue { $0 })
        XCTAssertEqual(answer.status, 502, "\(answer)")
    }

    func testAConnectionThatAnswersItsPingsIsKept() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address, upstreamOptions: options, workers: 1)
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)

        // Idle for several intervals: PINGed and answered each time.
        XCTAssertTrue(waitUntil(timeout: 10) { backend.streams.pingsReceived >= 2 }, "no PINGs: \(backend.streams.pingsReceived)")
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)
        XCTAssertEqual(backend.acceptedConnections, 1, "an answering connection is kept")
        XCTAssertFalse(gateway.process.settledStderrText().contains("not even a PING's answer"), gateway.process.logTail())
    }

    func testWithoutAnIntervalNoPingIsSent() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address, workers: 1)
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(backend.streams.pingsReceived, 0)
    }
}
