import Foundation
import XCTest

/// Issue "Proxy foundation" 2.3: upstream connections are pooled and reused only when the
/// previous response was read completely and the upstream kept the connection open.
///
/// Pylon runs one event loop here (pools are per loop), so every client connection shares
/// one pool and the connection counts are exact.
final class ProxyUpstreamPoolingTests: IntegrationTestCase {
    func testSequentialKeepAliveRequestsUseOneUpstreamConnection() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        for index in 0..<5 {
            try connection.send(RawRequest.get("/?n=\(index)"))
            let response = try connection.readResponse()
            XCTAssertEqual(response.statusCode, 200, "\(response)")
            XCTAssertEqual(response.bodyText, "backend\n")
        }
        XCTAssertEqual(backend.receivedRequests.map(\.uri), (0..<5).map { "/?n=\($0)" })
        XCTAssertEqual(backend.acceptedConnections, 1, "5 sequential requests must share one pooled upstream connection")
    }

    func testRequestsFromSeparateClientConnectionsReuseThePooledUpstreamConnection() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        for _ in 0..<3 {
            let result = try Curl.run(proxy.url + "/")
            XCTAssertEqual(result.status, 200, "\(result)")
        }
        XCTAssertEqual(backend.receivedRequests.count, 3)
        XCTAssertEqual(backend.acceptedConnections, 1, "the pool outlives client connections")
    }

    func testUpstreamConnectionClosedByTheResponseIsReplacedByANewOne() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)

        try connection.send(RawRequest.get("/"))
        XCTAssertEqual(try connection.readResponse().statusCode, 200)
        XCTAssertEqual(backend.acceptedConnections, 1)

        try connection.send(RawRequest.get("/close"))
        let closing = try connection.readResponse()
        XCTAssertEqual(closing.statusCode, 200, "\(closing)")
        XCTAssertFalse(closing.connectionClose, "the upstream's Connection: close is hop-by-hop; the client connection stays")
        XCTAssertEqual(backend.acceptedConnections, 1, "/close was served on the pooled connection")
        XCTAssertTrue(waitUntil(timeout: 2) { backend.openConnections == 0 }, "the backend closed its side")

        // A POST with a body is not retried on a stale connection: it only succeeds if the
        // pool did not hand out the closed one.
        try connection.send("POST /sink HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 4\r\n\r\nabcd")
        let afterClose = try connection.readResponse()
        XCTAssertEqual(afterClose.statusCode, 200, "\(afterClose)")
        XCTAssertEqual(afterClose.bodyText, "4")
        XCTAssertEqual(backend.acceptedConnections, 2, "a new upstream connection replaces the closed one")
    }

    func testTruncatedResponseConnectionIsNeverReused() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)

        let truncated = try Curl.run(proxy.url + "/truncate")
        XCTAssertEqual(truncated.exitCode, 18, "\(truncated)")
        XCTAssertEqual(backend.acceptedConnections, 1)

        for index in 0..<3 {
            let post = try Curl.run(proxy.url + "/sink", method: "POST", body: .string("body \(index)"))
            XCTAssertEqual(post.exitCode, 0, "\(post)")
            XCTAssertEqual(post.status, 200, "request \(index) after /truncate: \(post)")
            XCTAssertEqual(post.bodyText, "6")
        }
        XCTAssertEqual(backend.acceptedConnections, 2, "one fresh connection after /truncate, then pooled")
    }

    func testConnectionOfAResponseTheClientAbandonedIsNotReused() throws {
        // The client goes away mid-body: the upstream response was not read fully, so its
        // connection must be dropped, never pooled with bytes still in flight.
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/bytes/50000000"))
        _ = connection.peekReceived(timeout: 2)
        connection.reset()
        XCTAssertTrue(waitUntil(timeout: 3) { backend.openConnections == 0 }, "pylon closes the upstream connection of an abandoned response")

        let next = try Curl.run(proxy.url + "/bytes/1000")
        XCTAssertEqual(next.status, 200, "\(next)")
        XCTAssertNil(BackendBodyPattern.firstMismatch(in: next.body))
        XCTAssertEqual(next.body.count, 1000)
        XCTAssertEqual(backend.acceptedConnections, 2)
    }

    /// Three requests at once, each on its own client connection; returns their statuses.
    private static func threeAtOnce(port: Int, path: String) throws -> [Int] {
        let connections = try (0..<3).map { _ in try RawConnection(port: port) }
        for connection in connections { try connection.send(RawRequest.get(path)) }
        return try connections.map { try $0.readResponse().statusCode }
    }

    func testConnectionsBeyondMaxIdleServeTheNextBurstThenClose() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend, mainOptions: "connect_timeout: 1s, read_timeout: 5s, max_idle: 1, idle_timeout: 30s")

        XCTAssertEqual(try Self.threeAtOnce(port: proxy.port, path: "/slow/300"), [200, 200, 200])
        XCTAssertEqual(backend.acceptedConnections, 3, "three requests at once, three upstream connections")
        // The next burst finds all three pooled: one within max_idle, two beyond it.
        XCTAssertEqual(try Self.threeAtOnce(port: proxy.port, path: "/slow/300"), [200, 200, 200])
        XCTAssertEqual(backend.acceptedConnections, 3, "the burst reused the connections beyond max_idle")

        // Unused, the two beyond max_idle close within seconds; the one within it stays.
        XCTAssertTrue(waitUntil(timeout: 6) { backend.openConnections == 1 }, "open: \(backend.openConnections)")
        XCTAssertFalse(waitUntil(timeout: 1) { backend.openConnections == 0 }, "max_idle connections stay for idle_timeout")
    }
}
