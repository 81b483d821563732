import Foundation
import NIOHTTP1
import XCTest

/// Proves each `TestBackend` behaviour through the real curl and the raw clients.
final class TestBackendSelfTests: IntegrationTestCase {
    func testIdentifyAndExtraHeaders() throws {
        let backend = try startBackend(name: "alpha", extraHeaders: [("Alt-Svc", "h3=\":443\"")])
        let result = try Curl.run("\(backend.url)/anything?x=1")
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.status, 200)
        XCTAssertEqual(result.bodyText, "alpha\n")
        XCTAssertEqual(result.header(named: "x-backend"), "alpha")
        XCTAssertEqual(result.header(named: "ALT-SVC"), "h3=\":443\"")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/anything?x=1"])
        XCTAssertEqual(backend.acceptedConnections, 1)
    }

    func testEchoStreamsBodyAndReflectsHeaders() throws {
        let backend = try startBackend()
        let body = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let result = try Curl.run(
            "\(backend.url)/echo", method: "PUT",
            headers: [("X-Forwarded-For", "10.1.2.3"), ("X-Empty", "")], body: .data(body)
        )
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.body, body)
        XCTAssertEqual(result.header(named: "transfer-encoding"), "chunked")
        XCTAssertEqual(result.header(named: "X-Echo-Host"), "127.0.0.1:\(backend.port)")
        XCTAssertEqual(result.header(named: "X-Echo-X-Forwarded-For"), "10.1.2.3")
        XCTAssertEqual(result.header(named: "X-Echo-X-Empty"), "")
        XCTAssertEqual(backend.receivedRequests.first?.method, .PUT)
    }

    func testEchoStreamsBeforeTheRequestBodyEnds() throws {
        // The response head and first body bytes arrive while the request is still open.
        let backend = try startBackend()
        let connection = try RawConnection(port: backend.port)
        try connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        let socketBytes = try XCTUnwrap(Self.readSome(connection: connection))
        XCTAssertTrue(socketBytes.contains("HTTP/1.1 200 OK"), socketBytes)
        XCTAssertTrue(socketBytes.contains("hello"), socketBytes)
    }

    func testHeadersReport() throws {
        let backend = try startBackend()
        let result = try Curl.run("\(backend.url)/headers?q", headers: [("X-Multi", "a"), ("x-multi", "b")], http10: true)
        XCTAssertEqual(result.status, 200)
        let report = try JSONDecoder().decode(BackendRequestReport.self, from: result.body)
        XCTAssertEqual(report.method, "GET")
        XCTAssertEqual(report.uri, "/headers?q")
        XCTAssertEqual(report.version, "HTTP/1.0")
        XCTAssertEqual(report.values("X-Multi"), ["a", "b"])
        XCTAssertEqual(report.values("host"), ["127.0.0.1:\(backend.port)"])
    }

    func testBytesAndChunkedFollowThePattern() throws {
        let backend = try startBackend()
        let bytes = try Curl.run("\(backend.url)/bytes/1000000")
        XCTAssertEqual(bytes.header(named: "content-length"), "1000000")
        XCTAssertEqual(bytes.body.count, 1_000_000)
        XCTAssertNil(BackendBodyPattern.firstMismatch(in: bytes.body))
        let chunked = try Curl.run("\(backend.url)/chunked/300001")
        XCTAssertEqual(chunked.header(named: "transfer-encoding"), "chunked")
        XCTAssertNil(chunked.header(named: "content-length"))
        XCTAssertEqual(chunked.body.count, 300_001)
        XCTAssertNil(BackendBodyPattern.firstMismatch(in: chunked.body))
        let zero = try Curl.run("\(backend.url)/bytes/0")
        XCTAssertEqual(zero.status, 200)
        XCTAssertEqual(zero.body.count, 0)
        let head = try Curl.run("\(backend.url)/bytes/5000", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header(named: "content-length"), "5000")
    }

    func testLargeDownloadStreams() throws {
        let backend = try startBackend()
        let result = try Curl.run("\(backend.url)/bytes/268435456", maxTime: 60, discardBody: true)
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.downloadedBytes, 268_435_456)
    }

    func testSlowAndSlowBody() throws {
        let backend = try startBackend()
        var started = Date()
        let slow = try Curl.run("\(backend.url)/slow/300")
        XCTAssertEqual(slow.bodyText, "slow\n")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.3)
        let timedOut = try Curl.run("\(backend.url)/slow/3000", maxTime: 0.5)
        XCTAssertEqual(timedOut.exitCode, 28, "\(timedOut)")

        started = Date()
        let connection = try RawConnection(port: backend.port)
        try connection.send("GET /slow-body/400 HTTP/1.1\r\nHost: x\r\n\r\n")
        let firstBytes = try XCTUnwrap(Self.readSome(connection: connection))
        XCTAssertTrue(firstBytes.hasPrefix("HTTP/1.1 200"), firstBytes)
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.3, "head comes at once")
        let slowBody = try Curl.run("\(backend.url)/slow-body/400")
        XCTAssertEqual(slowBody.bodyText, (0..<10).map { "slow-body \($0)\n" }.joined())
    }

    func testStatus() throws {
        let backend = try startBackend()
        for code in [200, 201, 302, 404, 500, 503] {
            let result = try Curl.run("\(backend.url)/status/\(code)")
            XCTAssertEqual(result.status, code)
            XCTAssertEqual(result.bodyText, "status \(code)\n")
        }
        // 204 and 304 have no body; read them raw on one connection to be sure of framing.
        let connection = try RawConnection(port: backend.port)
        try connection.send("GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/304 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try connection.readResponse().statusCode, 204)
        let notModified = try connection.readResponse()
        XCTAssertEqual(notModified.statusCode, 304)
        XCTAssertEqual(notModified.body, [])
        XCTAssertEqual(try connection.readResponse().bodyText, "backend\n")
        XCTAssertEqual(try Curl.run("\(backend.url)/status/abc").status, 400)
    }

    func testTruncate() throws {
        let backend = try startBackend()
        let result = try Curl.run("\(backend.url)/truncate")
        XCTAssertEqual(result.exitCode, 18, "curl: partial file; \(result)")
        XCTAssertEqual(result.body.count, 100)
        let raw = try RawHTTPClient.exchange(port: backend.port, send: "GET /truncate HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(raw.closedByPeer)
        XCTAssertEqual(raw.responses.count, 0)
        XCTAssertEqual(raw.statusCodes, [200], "status line still found by scanning")
        let connection = try RawConnection(port: backend.port)
        try connection.send("GET /truncate HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertThrowsError(try connection.readResponse())
    }

    func testCloseAndKeepAlive() throws {
        let backend = try startBackend()
        let connection = try RawConnection(port: backend.port)
        try connection.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try connection.readResponse()
        XCTAssertFalse(first.connectionClose)
        XCTAssertFalse(connection.isClosedByPeer(timeout: 0.2))
        try connection.send("GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
        let second = try connection.readResponse()
        XCTAssertTrue(second.connectionClose)
        XCTAssertTrue(connection.isClosedByPeer(timeout: 2))
        XCTAssertEqual(backend.acceptedConnections, 1)
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/a", "/close"])

        // HTTP/1.0 without keep-alive: closed after the response.
        let raw = try RawHTTPClient.exchange(port: backend.port, send: "GET / HTTP/1.0\r\n\r\n")
        XCTAssertTrue(raw.closedByPeer)
        XCTAssertEqual(raw.statusCodes, [200])
        XCTAssertEqual(raw.responses.first?.version, "HTTP/1.0")
        XCTAssertTrue(waitUntil(timeout: 2) { backend.openConnections == 0 })
    }

    func testPipelinedRequestsAndChunkedParsing() throws {
        let backend = try startBackend()
        let connection = try RawConnection(port: backend.port)
        try connection.send("GET /chunked/70000 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        let chunked = try connection.readResponse()
        XCTAssertTrue(chunked.isChunked)
        XCTAssertEqual(chunked.body, BackendBodyPattern.bytes(count: 70_000))
        let head = try connection.readResponse(requestMethod: "HEAD")
        XCTAssertEqual(head.header(named: "content-length"), "10")
        XCTAssertEqual(head.body, [])
        XCTAssertEqual(try connection.readResponse().body, [0, 1, 2])
        XCTAssertEqual(backend.acceptedConnections, 1)
    }

    func testSink() throws {
        let backend = try startBackend()
        let result = try Curl.run("\(backend.url)/sink", body: .string(String(repeating: "z", count: 123_457)))
        XCTAssertEqual(result.bodyText, "123457")
        XCTAssertEqual(backend.receivedRequests.first?.method, .POST)
    }

    func testExpectContinue() throws {
        let backend = try startBackend()
        let result = try Curl.run("\(backend.url)/continue", headers: [("Expect", "100-continue")], body: .string("abc"))
        XCTAssertEqual(result.statusCodes, [100, 200], "\(result)")
        XCTAssertEqual(result.bodyText, "continued 3\n")

        let connection = try RawConnection(port: backend.port)
        try connection.send("POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try connection.readResponse().statusCode, 100)
        try connection.send("hi")
        XCTAssertEqual(try connection.readResponse().bodyText, "continued 2\n")

        let silent = try startBackend(name: "silent", answersExpectContinue: false)
        let silentConnection = try RawConnection(port: silent.port)
        try silentConnection.send("POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertThrowsError(try silentConnection.readResponse(timeout: 0.3), "no interim response")
        try silentConnection.send("hi")
        XCTAssertEqual(try silentConnection.readFinalResponse().statusCode, 200)
    }

    func testRawExchangeOfGarbage() throws {
        let backend = try startBackend()
        let raw = try RawHTTPClient.exchange(port: backend.port, send: "NOT HTTP AT ALL\r\n\r\n", readTimeout: 3)
        XCTAssertTrue(raw.closedByPeer)
        XCTAssertEqual(raw.statusCodes, [400], raw.text)
    }

    func testPythonBackend() throws {
        let python = try startPythonBackend(name: "py")
        let get = try Curl.run("\(python.url)/")
        XCTAssertEqual(get.bodyText, "py\n")
        XCTAssertEqual(get.header(named: "X-Backend"), "py")
        let post = try Curl.run("\(python.url)/", body: .string("payload"))
        XCTAssertEqual(post.bodyText, "payload")
        XCTAssertTrue(python.process.isRunning)
    }

    func testCurlReportsConnectionRefused() throws {
        let result = try Curl.run("http://127.0.0.1:\(try freePort())/", maxTime: 2)
        XCTAssertEqual(result.exitCode, 7, "\(result)")
        XCTAssertEqual(result.status, 0)
        XCTAssertFalse(result.stderr.isEmpty)
    }

    /// Whatever arrived so far (not a whole response), after waiting briefly for more.
    private static func readSome(connection: RawConnection) -> String? {
        var text = ""
        for _ in 0..<5 {
            text = String(decoding: connection.peekReceived(timeout: 0.05), as: UTF8.self)
        }
        return text.isEmpty ? nil : text
    }
}
