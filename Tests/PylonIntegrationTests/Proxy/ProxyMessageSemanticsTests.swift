import Foundation
import XCTest

/// Issue "Proxy foundation" 2.2: responses without a body (HEAD, 204, 304) and interim
/// responses (100 Continue, other 1xx) are relayed with the right framing. Each body-less
/// response is followed by a second request on the same connection: a proxy that sent
/// stray body bytes (or waited for a body) would garble or stall that second response.
final class ProxyMessageSemanticsTests: IntegrationTestCase {
    func testHeadResponseHasNoBodyButKeepsContentLength() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)

        try connection.send("HEAD /bytes/5000 HTTP/1.1\r\nHost: pylon.test\r\n\r\n")
        let head = try connection.readResponse(requestMethod: "HEAD")
        XCTAssertEqual(head.statusCode, 200, "\(head)")
        XCTAssertEqual(head.header(named: "content-length"), "5000", "HEAD keeps the length a GET would have")
        XCTAssertNil(head.header(named: "transfer-encoding"))
        XCTAssertFalse(head.connectionClose)
        XCTAssertEqual(backend.receivedRequests.last?.method, .HEAD)

        // No body bytes may follow the head: the next response starts right after it.
        try connection.send(RawRequest.get("/"))
        let next = try connection.readResponse()
        XCTAssertEqual(next.statusCode, 200, "\(next)")
        XCTAssertEqual(next.bodyText, "backend\n")
        XCTAssertEqual(backend.acceptedConnections, 1, "the upstream connection is reused after HEAD (its response had no body either)")

        let curl = try Curl.run(proxy.url + "/bytes/5000", method: "HEAD")
        XCTAssertEqual(curl.exitCode, 0, "\(curl)")
        XCTAssertEqual(curl.header(named: "content-length"), "5000")
        XCTAssertEqual(curl.downloadedBytes, 0)
    }

    func testNoContentResponseHasNoBodyAndConnectionStaysUsable() throws {
        try assertBodylessStatus(204)
    }

    func testNotModifiedResponseHasNoBodyAndConnectionStaysUsable() throws {
        try assertBodylessStatus(304)
    }

    private func assertBodylessStatus(_ status: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)

        try connection.send(RawRequest.get("/status/\(status)"))
        let response = try connection.readResponse()
        XCTAssertEqual(response.statusCode, status, "\(response)", file: file, line: line)
        XCTAssertEqual(response.body, [], file: file, line: line)
        XCTAssertNil(response.header(named: "transfer-encoding"), "a \(status) must not be chunked", file: file, line: line)
        if status == 204 {
            XCTAssertNil(response.header(named: "content-length"), "204 carries no Content-Length", file: file, line: line)
        }

        // Nothing but the next response may follow.
        try connection.send(RawRequest.get("/"))
        let next = try connection.readResponse()
        XCTAssertEqual(next.statusCode, 200, "\(next)", file: file, line: line)
        XCTAssertEqual(next.bodyText, "backend\n", file: file, line: line)
        XCTAssertEqual(backend.acceptedConnections, 1, "the upstream connection is reused after a body-less response", file: file, line: line)
    }

    func testExpectContinueClientSees100ThenFinalResponseAndBodyArrives() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let body = String(repeating: "x", count: 2000)

        let curl = try Curl.run(
            proxy.url + "/continue", method: "POST",
            headers: [("Expect", "100-continue")], body: .string(body),
            extraArguments: ["--expect100-timeout", "5"]
        )
        XCTAssertEqual(curl.exitCode, 0, "\(curl)")
        XCTAssertEqual(curl.statusCodes, [100, 200], "\(curl)")
        XCTAssertEqual(curl.bodyText, "continued 2000\n")
        XCTAssertEqual(backend.receivedRequests.last?.headers["expect"], [], "Expect is handled hop by hop")
    }

    func testExpectContinueIsAnsweredBeforeTheClientSendsTheBody() throws {
        // The raw client sends only the head and waits: the 100 must come without the body.
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        try connection.send("POST /continue HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = try connection.readResponse(timeout: 3)
        XCTAssertEqual(interim.statusCode, 100, "\(interim)")

        try connection.send("hello")
        let final = try connection.readResponse(timeout: 3)
        XCTAssertEqual(final.statusCode, 200, "\(final)")
        XCTAssertEqual(final.bodyText, "continued 5\n")
    }

    func testExpectContinueWorksWhenTheBackendIgnoresIt() throws {
        let backend = try startBackend(answersExpectContinue: false)
        let proxy = try startProxy(in: backend)
        let connection = try RawConnection(port: proxy.port)
        try connection.send("POST /continue HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = try connection.readResponse(timeout: 3)
        XCTAssertEqual(interim.statusCode, 100, "\(interim)")
        try connection.send("hello")
        let final = try connection.readResponse(timeout: 3)
        XCTAssertEqual(final.statusCode, 200, "\(final)")
        XCTAssertEqual(final.bodyText, "continued 5\n")
        // Exactly one 100: nothing else is buffered after the final response.
        XCTAssertEqual(connection.buffered, [])
    }

    func testCloseDelimitedUpstreamBodyIsRelayedCompleteAndChunked() throws {
        // An upstream body delimited by closing the connection is complete at the close;
        // an HTTP/1.1 client gets it chunked, properly terminated, on a kept-alive connection.
        let origin = try ScriptedBackend(response: Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the close".utf8))
        defer { origin.shutdown() }
        let proxy = try startProxy(ProxyTestConfig(
            upstreams: [("main", "{targets: [\"\(origin.address)\"], connect_timeout: 1s, read_timeout: 2s}")],
            routes: ["{path_prefix: /, upstream: main}"]
        ))
        let connection = try RawConnection(port: proxy.port)
        for _ in 0..<2 {
            try connection.send(RawRequest.get("/eof"))
            let response = try connection.readResponse(timeout: 3)
            XCTAssertEqual(response.statusCode, 200, "\(response)")
            XCTAssertTrue(response.isChunked, "\(response)")
            XCTAssertEqual(response.bodyText, "until the close")
            XCTAssertFalse(response.connectionClose)
        }
        XCTAssertEqual(origin.receivedHeads.count, 2)
    }

    func testEarlyHints103FromUpstreamIsRelayedBeforeTheFinalResponse() throws {
        // TestBackend only produces 100; a scripted origin sends 103 Early Hints.
        let origin = try ScriptedBackend(response: Array((
            "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhinted"
        ).utf8))
        defer { origin.shutdown() }
        let proxy = try startProxy(ProxyTestConfig(
            upstreams: [("main", "{targets: [\"\(origin.address)\"], connect_timeout: 1s, read_timeout: 2s}")],
            routes: ["{path_prefix: /, upstream: main}"]
        ))
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/hints"))
        let hints = try connection.readResponse(timeout: 3)
        XCTAssertEqual(hints.statusCode, 103, "\(hints)")
        XCTAssertEqual(hints.header(named: "link"), "</style.css>; rel=preload")
        let final = try connection.readResponse(timeout: 3)
        XCTAssertEqual(final.statusCode, 200, "\(final)")
        XCTAssertEqual(final.bodyText, "hinted")
    }
}
