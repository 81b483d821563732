import Foundation
import XCTest

/// Issue "Proxy foundation" 2.8: keep-alive, pipelining, HTTP/1.0 and the idle timeout on
/// client connections.
final class ProxyKeepAliveTests: IntegrationTestCase {
    func testTwoPipelinedGetsGetTwoResponsesInOrder() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        // The first is slow and the second fast: answering out of order would show.
        try connection.send(RawRequest.get("/slow/300") + RawRequest.get("/status/201"))
        let first = try connection.readResponse()
        let second = try connection.readResponse()
        XCTAssertEqual(first.statusCode, 200, "\(first)")
        XCTAssertEqual(first.bodyText, "slow\n")
        XCTAssertFalse(first.connectionClose)
        XCTAssertEqual(second.statusCode, 201, "\(second)")
        XCTAssertEqual(second.bodyText, "status 201\n")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/slow/300", "/status/201"])

        // Still open, and a request with a body pipelined between two without one.
        try connection.send(
            RawRequest.get("/status/202")
                + "POST /sink HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 5\r\n\r\nhello"
                + RawRequest.get("/status/203")
        )
        let more = try (0..<3).map { _ in try connection.readResponse() }
        XCTAssertEqual(more.map(\.statusCode), [202, 200, 203])
        XCTAssertEqual(more[1].bodyText, "5")
    }

    func testHTTP10RequestGetsADelimitedResponseAndTheConnectionCloses() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)

        let started = Date()
        let plain = try RawHTTPClient.exchange(port: proxy.port, send: "GET / HTTP/1.0\r\n\r\n", readTimeout: 4)
        XCTAssertEqual(plain.statusCodes, [200], plain.text.debugDescription)
        let response = try XCTUnwrap(plain.responses.first)
        XCTAssertEqual(response.version, "HTTP/1.0")
        XCTAssertEqual(response.header(named: "content-length"), "8")
        XCTAssertEqual(response.bodyText, "backend\n")
        XCTAssertNil(response.header(named: "transfer-encoding"), "HTTP/1.0 has no chunked coding")
        XCTAssertTrue(plain.closedByPeer, "an HTTP/1.0 connection without keep-alive is closed after the response")
        XCTAssertFalse(plain.resetByPeer)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2, "closed right after the response, not by a timeout")

        // Unknown length upstream (chunked): close-delimited for an HTTP/1.0 client.
        let unknownLength = try RawHTTPClient.exchange(port: proxy.port, send: "GET /chunked/100000 HTTP/1.0\r\n\r\n", readTimeout: 4)
        XCTAssertEqual(unknownLength.statusCodes, [200], unknownLength.text.prefix(300).debugDescription)
        let streamed = try XCTUnwrap(unknownLength.responses.first)
        XCTAssertNil(streamed.header(named: "transfer-encoding"))
        XCTAssertTrue(unknownLength.closedByPeer)
        XCTAssertEqual(streamed.body.count, 100_000, "the close delimits the body")
        XCTAssertNil(BackendBodyPattern.firstMismatch(in: streamed.body))
    }

    func testHTTP10KeepAliveRequestKeepsTheConnectionOpen() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        for _ in 0..<2 {
            try connection.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try connection.readResponse()
            XCTAssertEqual(response.statusCode, 200, "\(response)")
            XCTAssertTrue(response.connectionKeepAlive, "HTTP/1.0 keep-alive is confirmed explicitly: \(response)")
            XCTAssertEqual(response.header(named: "content-length"), "8")
            XCTAssertEqual(response.bodyText, "backend\n")
        }
        XCTAssertFalse(connection.isClosedByPeer(timeout: 0.3))
    }

    func testIdleKeepAliveConnectionIsClosedAfterIdleTimeout() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend) {
            $0.limits = "{max_body: 1MiB, header_timeout: 5s, idle_timeout: 1s}"
        }
        let started = Date()
        let answer = try RawHTTPClient.exchange(port: proxy.port, send: RawRequest.get("/"), readTimeout: 5)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(answer.statusCodes, [200])
        XCTAssertEqual(answer.responses.first?.connectionClose, false, "kept alive after the response")
        XCTAssertTrue(answer.closedByPeer, "the idle connection is closed")
        XCTAssertFalse(answer.resetByPeer, "with a FIN, not a reset")
        XCTAssertGreaterThanOrEqual(elapsed, 0.9, "not before idle_timeout (1 s)")
        XCTAssertLessThan(elapsed, 2.5, "at idle_timeout (1 s), not at header_timeout (5 s)")
    }

    func testIdleKeepAliveConnectionServesRequestsBeforeIdleTimeout() throws {
        // Control for the test above: a gap shorter than idle_timeout keeps the connection.
        let backend = try startBackend()
        let proxy = try startProxy(in: backend) {
            $0.limits = "{max_body: 1MiB, header_timeout: 5s, idle_timeout: 1s}"
        }
        let connection = try RawConnection(port: proxy.port)
        for _ in 0..<3 {
            try connection.send(RawRequest.get("/"))
            XCTAssertEqual(try connection.readResponse().statusCode, 200)
            XCTAssertFalse(connection.isClosedByPeer(timeout: 0.5))
        }
    }
}

/// `limits.keepalive_requests` and `limits.keepalive_time`: a connection's last request is
/// answered with `Connection: close`, and requests pipelined after it are not served.
final class ProxyKeepAliveLimitTests: IntegrationTestCase {
    func testTheLastRequestByCountIsAnsweredWithConnectionCloseAndTheConnectionCloses() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend) {
            $0.limits = "{max_body: 1MiB, header_timeout: 5s, keepalive_requests: 3}"
        }
        let connection = try RawConnection(port: proxy.port)
        for number in 1...2 {
            try connection.send(RawRequest.get("/status/20\(number)"))
            let response = try connection.readResponse()
            XCTAssertEqual(response.statusCode, 200 + number, "\(response)")
            XCTAssertFalse(response.connectionClose, "request \(number) of 3 keeps the connection")
        }
        // The third, with a fourth pipelined behind it: the fourth is not served.
        try connection.send(RawRequest.get("/status/203") + RawRequest.get("/status/204"))
        let last = try connection.readResponse()
        XCTAssertEqual(last.statusCode, 203, "\(last)")
        XCTAssertTrue(last.connectionClose, "the third of 3 says Connection: close: \(last)")
        XCTAssertTrue(connection.isClosedByPeer(timeout: 3), "closed after the last response")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/status/201", "/status/202", "/status/203"])

        // A new connection starts counting again.
        let next = try RawConnection(port: proxy.port)
        try next.send(RawRequest.get("/"))
        XCTAssertFalse(try next.readResponse().connectionClose)
    }

    func testARequestStartingAfterTheKeepAliveTimeIsTheConnectionsLast() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend) {
            $0.limits = "{max_body: 1MiB, header_timeout: 5s, keepalive_time: 1s}"
        }
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/"))
        XCTAssertFalse(try connection.readResponse().connectionClose, "within keepalive_time")
        Thread.sleep(forTimeInterval: 1.2)
        try connection.send(RawRequest.get("/"))
        let late = try connection.readResponse()
        XCTAssertEqual(late.statusCode, 200, "a request after keepalive_time is still served: \(late)")
        XCTAssertTrue(late.connectionClose, "... as the connection's last: \(late)")
        XCTAssertTrue(connection.isClosedByPeer(timeout: 3))
    }

    func testWithoutKeepAliveLimitsAConnectionServesManyRequests() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        for _ in 0..<20 {
            try connection.send(RawRequest.get("/"))
            XCTAssertFalse(try connection.readResponse().connectionClose)
        }
    }
}
