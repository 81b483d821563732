import Foundation
import Glibc
import XCTest

/// Issue "Proxy foundation" 2.9 and DESIGN §3 "Keep-alive race": on SIGQUIT pylon stops
/// accepting, finishes what is in flight with `Connection: close`, keeps idle keep-alive
/// connections open so a request already on its way is still answered, closes the rest
/// with a FIN later, and exits 0 once no connection is left.
///
/// `drain_timeout: 3s` here: idle connections are closed after it.
final class ProxyGracefulDrainTests: IntegrationTestCase {
    private func signalDrain(_ proxy: RunningProxy) throws {
        proxy.process.signal(SIGQUIT)
        try proxy.process.waitForLog(containing: "SIGQUIT: draining", timeout: 3)
    }

    /// After the drain began, connects to the listener fail (the listener is closed).
    private func assertListenerClosed(_ proxy: RunningProxy, file: StaticString = #filePath, line: UInt = #line) {
        var lastError: (any Error)?
        let refused = waitUntil(timeout: 2, pollInterval: 0.05) {
            do {
                let socket = try LoopbackSocket(connectingTo: proxy.port, timeout: 0.5)
                socket.close()
                return false
            } catch {
                lastError = error
                return true
            }
        }
        XCTAssertTrue(refused, "new connections must be refused once draining", file: file, line: line)
        if let lastError {
            XCTAssertTrue("\(lastError)".contains("refused"), "expected connection refused, got \(lastError)", file: file, line: line)
        }
    }

    func testInFlightRequestCompletesWithConnectionCloseAndProcessExitsZero() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend, mainOptions: "connect_timeout: 1s, read_timeout: 5s")
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/slow/2000"))
        XCTAssertTrue(waitUntil(timeout: 2) { backend.receivedRequests.count == 1 }, "the request is in flight")

        try signalDrain(proxy)
        assertListenerClosed(proxy)
        XCTAssertTrue(proxy.process.isRunning, "pylon waits for the request in flight")

        let response = try connection.readResponse(timeout: 4)
        XCTAssertEqual(response.statusCode, 200, "\(response)")
        XCTAssertEqual(response.bodyText, "slow\n")
        XCTAssertTrue(response.connectionClose, "the last response of a draining connection says Connection: close: \(response)")
        XCTAssertTrue(connection.isClosedByPeer(timeout: 1), "then pylon closes the connection")
        connection.close()

        XCTAssertEqual(proxy.process.waitForExit(timeout: 2), 0, "exit 0 right after the last connection, not at drain_timeout\n\(proxy.process.logTail())")
        XCTAssertEqual(proxy.process.accessLogLines().last?["status"], "200", "the access log is flushed before exit")
    }

    func testResponseAlreadyStreamingAtSignalLeavesTheConnectionDrainingNotClosedUnderTheClient() throws {
        // The head went out before the signal, so it could not say Connection: close. The
        // client may already be sending its next request on this connection: closing right
        // after the response would lose it (the keep-alive race of DESIGN §3). So the
        // connection stays open; the next request is answered with Connection: close.
        let backend = try startBackend()
        let proxy = try startProxy(in: backend, mainOptions: "connect_timeout: 1s, read_timeout: 5s") {
            $0.drainTimeout = "8s"
        }
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/slow-body/1500"))
        let headStart = connection.peekReceived(timeout: 2)
        XCTAssertTrue(String(decoding: headStart.prefix(12), as: UTF8.self).hasPrefix("HTTP/1.1 200"), "the response is streaming")

        try signalDrain(proxy)
        let response = try connection.readResponse(timeout: 4)
        XCTAssertEqual(response.statusCode, 200, "\(response)")
        XCTAssertFalse(connection.isClosedByPeer(timeout: 0.3), "not closed under a client that may be sending its next request")

        try connection.send(RawRequest.get("/next"))
        let next = try connection.readResponse(timeout: 4)
        XCTAssertEqual(next.statusCode, 200, "\(next)")
        XCTAssertTrue(next.connectionClose, "the next request on a draining connection is answered with Connection: close")
        XCTAssertTrue(connection.isClosedByPeer(timeout: 2), "then the connection is closed")
        connection.close()
        XCTAssertEqual(proxy.process.waitForExit(timeout: 9), 0, proxy.process.logTail())
    }

    func testDrainingConnectionLeftIdleAfterItsResponseIsHalfClosedAtTheIdleGrace() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend, mainOptions: "connect_timeout: 1s, read_timeout: 5s") {
            $0.drainTimeout = "30s"
        }
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/slow-body/1500"))
        _ = connection.peekReceived(timeout: 2)
        try signalDrain(proxy)
        let response = try connection.readResponse(timeout: 4)
        XCTAssertEqual(response.statusCode, 200, "\(response)")
        let finished = Date()
        XCTAssertTrue(connection.isClosedByPeer(timeout: 9), "an idle draining connection is closed at the idle grace")
        let closedAfter = Date().timeIntervalSince(finished)
        XCTAssertLessThan(closedAfter, 8, "closed at the idle grace (5 s), long before drain_timeout (30 s)")
        XCTAssertGreaterThan(closedAfter, 3, "kept open for a request on its way first")
        connection.close()
        XCTAssertEqual(proxy.process.waitForExit(timeout: 5), 0, proxy.process.logTail())
    }

    func testRequestArrivingOnIdleConnectionDuringDrainIsAnsweredWithConnectionClose() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/"))
        let before = try connection.readResponse()
        XCTAssertEqual(before.statusCode, 200)
        XCTAssertFalse(before.connectionClose)

        try signalDrain(proxy)
        assertListenerClosed(proxy)
        XCTAssertFalse(connection.isClosedByPeer(timeout: 0.2), "an idle keep-alive connection stays open at first")

        try connection.send(RawRequest.get("/after-signal"))
        let after = try connection.readResponse()
        XCTAssertEqual(after.statusCode, 200, "\(after)")
        XCTAssertEqual(after.bodyText, "backend\n")
        XCTAssertTrue(after.connectionClose, "answered, with Connection: close: \(after)")
        XCTAssertTrue(connection.isClosedByPeer(timeout: 1), "then closed")
        connection.close()

        XCTAssertEqual(proxy.process.waitForExit(timeout: 2), 0, proxy.process.logTail())
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/", "/after-signal"])
    }

    func testIdleConnectionIsClosedWithFinAfterDrainTimeoutAndProcessExitsZero() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let process = proxy.process
        // An idle keep-alive connection that never sends another request: the exchange
        // reads the response, then waits for the close and reports FIN versus reset.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { process.signal(SIGQUIT) }
        let started = Date()
        let answer = try RawHTTPClient.exchange(port: proxy.port, send: RawRequest.get("/"), readTimeout: 8)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(answer.statusCodes, [200])
        XCTAssertEqual(answer.responses.first?.connectionClose, false)
        XCTAssertTrue(answer.closedByPeer, "the idle connection is closed at the end of the drain")
        XCTAssertFalse(answer.resetByPeer, "with a FIN, never a reset")
        XCTAssertGreaterThanOrEqual(elapsed, 3, "kept open for drain_timeout (3 s) after the signal at 0.5 s")
        XCTAssertLessThan(elapsed, 6)
        XCTAssertEqual(process.waitForExit(timeout: 3), 0, process.logTail())
    }
}
