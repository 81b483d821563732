import Foundation
import Glibc
import XCTest

/// `pylon run` and signals: SIGTERM stops within a second even with connections open and a
/// request in flight; SIGQUIT lets the request in flight finish and exits 0.
final class GatewaySignalTests: GatewayTestCase {
    private func startSimpleGateway(backend: TestBackend) throws -> GatewayUnderTest {
        try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}
            drain_timeout: 5s

            """)
    }

    func testSIGTERMStopsWithinOneSecondWithAnIdleConnectionAndARequestInFlight() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startSimpleGateway(backend: backend)

        // An idle keep-alive connection...
        let idle = try RawConnection(port: gateway.port)
        defer { idle.close() }
        try idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try idle.readResponse().statusCode, 200)
        // ...and a request the backend takes 5 s to answer.
        let slow = try startBackgroundCurl(gateway.url + "/slow/5000")
        XCTAssertTrue(waitUntil(timeout: 5) { backend.receivedRequests.contains { $0.uri == "/slow/5000" } })

        let signalled = Date()
        gateway.process.signal(SIGTERM)
        let code = gateway.process.waitForExit(timeout: 3)
        let elapsed = Date().timeIntervalSince(signalled)
        XCTAssertNotNil(code, "still running 3 s after SIGTERM")
        XCTAssertLessThan(elapsed, 1.0, "SIGTERM must stop pylon within 1 s")
        XCTAssertEqual(code, 0, gateway.process.logTail())
        XCTAssertTrue(isRefusingConnections(port: gateway.port))
        XCTAssertTrue(idle.isClosedByPeer(timeout: 1), "the idle connection must be closed")
        _ = slow.waitForExit(timeout: 10)
    }

    func testSIGTERMOnAnIdleGatewayStopsWithinOneSecond() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startSimpleGateway(backend: backend)
        XCTAssertEqual(try gateway.request("/").status, 200)

        let signalled = Date()
        gateway.process.signal(SIGTERM)
        let code = gateway.process.waitForExit(timeout: 3)
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 1.0)
        XCTAssertEqual(code, 0, gateway.process.logTail())
    }

    func testSIGQUITLetsTheRequestInFlightFinishAndExitsZero() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startSimpleGateway(backend: backend)

        let slow = try startBackgroundCurl(gateway.url + "/slow/700")
        XCTAssertTrue(waitUntil(timeout: 5) { backend.receivedRequests.contains { $0.uri == "/slow/700" } })

        gateway.process.signal(SIGQUIT)
        // The drained request completes normally.
        XCTAssertEqual(slow.waitForExit(timeout: 10), 0, slow.logTail())
        XCTAssertEqual(slow.stdoutText(), "slow\n\n200")
        let code = gateway.process.waitForExit(timeout: 6)
        XCTAssertNotNil(code, "still running 6 s after SIGQUIT")
        XCTAssertEqual(code, 0, gateway.process.logTail())
        XCTAssertTrue(isRefusingConnections(port: gateway.port))
    }

    func testSIGQUITOnAnIdleGatewayExitsZeroPromptly() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startSimpleGateway(backend: backend)
        XCTAssertEqual(try gateway.request("/").status, 200)

        let signalled = Date()
        gateway.process.signal(SIGQUIT)
        let code = gateway.process.waitForExit(timeout: 6)
        XCTAssertEqual(code, 0, gateway.process.logTail())
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 2.0, "nothing to drain, so no reason to wait")
    }
}
