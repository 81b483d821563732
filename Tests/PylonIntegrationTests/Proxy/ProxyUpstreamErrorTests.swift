import Foundation
import Glibc
import XCTest

/// Issue "Proxy foundation" 2.5 and 2.6: upstream failures become the right status (502
/// refused, 504 connect or read timeout), or — once the response has started — a closed
/// client connection, never a kept-alive one carrying a short body. Every failure is
/// logged twice: a warning on stderr and an access-log line with the status. A connect
/// failure is retried on another target, for POST too (nothing reached the peer).
final class ProxyUpstreamErrorTests: IntegrationTestCase {
    func testRefusedUpstreamAnswers502AndIsLogged() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)
        let result = try Curl.run(proxy.url + "/dead/thing")
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.status, 502, "\(result)")

        let line = proxy.process.waitForAccessLogLine { $0["path"] == "/dead/thing" }
        XCTAssertEqual(line?["status"], "502", "\(String(describing: line))")
        XCTAssertEqual(line?["route"].map { !$0.isEmpty && $0 != "none" }, true, "\(String(describing: line))")
        XCTAssertNotNil(line?["error"], "the access log says why: \(String(describing: line))")
        XCTAssertNoThrow(try proxy.process.waitForDiagnostic(containing: "upstream connect failed"))
        XCTAssertTrue(proxy.process.isRunning)
    }

    func testConnectTimeoutAnswers504AndIsLogged() throws {
        let blackHole = try BlackHoleListener()
        defer { blackHole.close() }
        guard blackHole.connectTimesOut() else {
            throw XCTSkip("could not make a loopback connect hang (a full backlog-0 listener still answered); connect timeout untestable here")
        }
        let proxy = try startProxy(ProxyTestConfig(
            upstreams: [("slowconnect", "{targets: [\"127.0.0.1:\(blackHole.port)\"], connect_timeout: 500ms, retries: 0}")],
            routes: ["{path_prefix: /, upstream: slowconnect}"]
        ))
        let started = Date()
        let result = try Curl.run(proxy.url + "/")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(result.status, 504, "\(result)")
        XCTAssertGreaterThanOrEqual(elapsed, 0.45, "the 504 comes after connect_timeout, not before")
        XCTAssertLessThan(elapsed, 3, "the 504 comes at connect_timeout, not at the kernel's SYN retry limit")

        let line = proxy.process.waitForAccessLogLine { $0["path"] == "/" }
        XCTAssertEqual(line?["status"], "504", "\(String(describing: line))")
        XCTAssertNoThrow(try proxy.process.waitForDiagnostic(containing: "timed out"))
    }

    func testReadTimeoutAnswers504AndIsLogged() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend, mainOptions: "connect_timeout: 1s, read_timeout: 1s")
        let started = Date()
        let result = try Curl.run(proxy.url + "/slow/5000")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(result.status, 504, "\(result)")
        XCTAssertGreaterThanOrEqual(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 3, "answered at read_timeout, not when the backend finally answers")

        let line = proxy.process.waitForAccessLogLine { $0["path"] == "/slow/5000" }
        XCTAssertEqual(line?["status"], "504", "\(String(describing: line))")
        XCTAssertNoThrow(try proxy.process.waitForDiagnostic(containing: "upstream failed"))
    }

    func testUpstreamClosingMidResponseClosesTheClientConnectionWithAShortBody() throws {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend)

        let curl = try Curl.run(proxy.url + "/truncate")
        XCTAssertEqual(curl.exitCode, 18, "curl must see a partial body: \(curl)")
        XCTAssertEqual(curl.status, 200)
        XCTAssertEqual(curl.downloadedBytes, 100)

        // On a raw keep-alive connection with a second request pipelined behind: the
        // connection must end after the short body, and the second request get no answer.
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/truncate") + RawRequest.get("/"))
        XCTAssertThrowsError(try connection.readResponse(timeout: 3)) { error in
            // The parser reports a Content-Length body cut short by the close as invalid.
            let received: [UInt8]
            switch error {
            case RawConnectionError.closedByPeer(let bytes): received = bytes
            case RawConnectionError.invalidResponse(let reason, let bytes) where reason.contains("connection closed after 100 of 1000"):
                received = bytes
            default:
                return XCTFail("expected the connection to be closed after 100 body bytes, got \(error)")
            }
            let text = String(decoding: received, as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("HTTP/1.1 200"), text)
            XCTAssertTrue(text.contains("Content-Length: 1000"), text)
        }
        XCTAssertEqual(backend.receivedRequests.filter { $0.uri == "/" }.count, 0, "the pipelined request must not be served on the broken connection")

        let line = proxy.process.waitForAccessLogLine { $0["path"] == "/truncate" }
        XCTAssertEqual(line?["status"], "200", "\(String(describing: line))")
        XCTAssertNotNil(line?["error"], "the access log marks the response as broken: \(String(describing: line))")
        XCTAssertNoThrow(try proxy.process.waitForDiagnostic(containing: "upstream failed"))
    }

    func testUpstreamClosingMidChunkedResponseClosesTheClientConnectionWithoutTheLastChunk() throws {
        // A chunked body cut short must not be "completed" with a 0-size chunk by pylon.
        let origin = try ScriptedBackend(response: Array(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".utf8
        ))
        defer { origin.shutdown() }
        let proxy = try startProxy(ProxyTestConfig(
            upstreams: [("main", "{targets: [\"\(origin.address)\"], connect_timeout: 1s, read_timeout: 2s}")],
            routes: ["{path_prefix: /, upstream: main}"]
        ))
        let curl = try Curl.run(proxy.url + "/cut")
        XCTAssertEqual(curl.exitCode, 18, "curl must see an incomplete chunked body: \(curl)")
        XCTAssertEqual(curl.bodyText, "hello")

        let answer = try RawHTTPClient.exchange(port: proxy.port, send: RawRequest.get("/cut"), readTimeout: 4)
        XCTAssertTrue(answer.closedByPeer, "the client connection is closed")
        XCTAssertEqual(answer.responses.count, 0, "the response must not parse as complete: \(answer.text.debugDescription)")
        XCTAssertFalse(answer.text.hasSuffix("0\r\n\r\n"), answer.text.debugDescription)
        let line = proxy.process.waitForAccessLogLine { $0["path"] == "/cut" }
        XCTAssertNotNil(line?["error"], "\(String(describing: line))")
    }

    // MARK: Retry

    private func startRetryProxy(retries: Int, backend: TestBackend) throws -> RunningProxy {
        let deadPort = try freePort()
        return try startProxy(ProxyTestConfig(
            upstreams: [("mixed", "{targets: [\"127.0.0.1:\(deadPort)\", \"\(backend.address)\"], connect_timeout: 1s, read_timeout: 2s, retries: \(retries)}")],
            routes: ["{path_prefix: /, upstream: mixed}"]
        ))
    }

    func testConnectFailureIsRetriedOnTheNextTargetForGetAndPost() throws {
        let backend = try startBackend()
        let proxy = try startRetryProxy(retries: 1, backend: backend)
        // Round robin starts at the dead target, and the retry takes the next turn, so with
        // one client every request first hits the dead one.
        for round in 0..<2 {
            let get = try Curl.run(proxy.url + "/?round=\(round)")
            XCTAssertEqual(get.status, 200, "GET round \(round): \(get)")
            XCTAssertEqual(get.bodyText, "backend\n")
            let post = try Curl.run(proxy.url + "/sink", method: "POST", body: .string("payload-\(round)"))
            XCTAssertEqual(post.status, 200, "POST round \(round): \(post)")
            XCTAssertEqual(post.bodyText, "9", "the body arrives whole after the retry")
        }
        // A body larger than what pylon queues while connecting (256 KiB) survives the retry.
        let large = Data((0..<900_000).map { UInt8(truncatingIfNeeded: $0) })
        let largePost = try Curl.run(proxy.url + "/sink", method: "POST", body: .data(large))
        XCTAssertEqual(largePost.status, 200, "\(largePost)")
        XCTAssertEqual(largePost.bodyText, "900000")

        XCTAssertNoThrow(try proxy.process.waitForDiagnostic(containing: "upstream connect failed"), "the dead target was tried")
        XCTAssertEqual(backend.receivedRequests.map(\.method.rawValue), ["GET", "POST", "GET", "POST", "POST"])
    }

    func testWithoutRetriesAConnectFailureIs502() throws {
        // Control for the test above: the first request goes to the dead target.
        let backend = try startBackend()
        let proxy = try startRetryProxy(retries: 0, backend: backend)
        let first = try Curl.run(proxy.url + "/")
        XCTAssertEqual(first.status, 502, "\(first)")
        let second = try Curl.run(proxy.url + "/")
        XCTAssertEqual(second.status, 200, "\(second)")
    }
}
