import Foundation
import XCTest

/// Issue "Proxy foundation" 2.7: malformed, oversized and slow requests get the right 4xx
/// with `Connection: close`, after which pylon closes the connection with a FIN (not a
/// reset, not left hanging); hostile bytes never take the process down.
///
/// Limits here: request line 8 KiB (default), header block 32 KiB (default), body 1 MiB,
/// header timeout 1 s.
final class ProxyBadInputTests: IntegrationTestCase {
    private var backend: TestBackend!
    private var proxy: RunningProxy!

    override func setUpWithError() throws {
        try super.setUpWithError()
        backend = try startBackend()
        proxy = try startProxy(in: backend)
    }

    override func tearDown() {
        backend = nil
        proxy = nil
        super.tearDown()
    }

    /// Sends `request` on a fresh connection and checks the answer is exactly one `status`
    /// response with `Connection: close`, followed by an orderly close well before the
    /// read timeout. Returns how long it took.
    @discardableResult
    private func assertRejected(
        _ request: [UInt8], status: Int, forwarded: Bool = false, readTimeout: Double = 4,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Double {
        let requestsBefore = backend.receivedRequests.count
        let started = Date()
        let answer = try RawHTTPClient.exchange(port: proxy.port, send: request, readTimeout: readTimeout)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(answer.statusCodes, [status], "answer: \(answer.text.prefix(300).debugDescription)", file: file, line: line)
        XCTAssertEqual(answer.responses.first?.connectionClose, true, "the rejection says Connection: close: \(answer.text.prefix(300).debugDescription)", file: file, line: line)
        XCTAssertTrue(answer.closedByPeer, "pylon must close the connection after a \(status), not leave it hanging", file: file, line: line)
        XCTAssertFalse(answer.resetByPeer, "the close must be a FIN, not a reset (which can destroy the response)", file: file, line: line)
        XCTAssertLessThan(elapsed, readTimeout - 0.5, file: file, line: line)
        if !forwarded {
            XCTAssertEqual(backend.receivedRequests.count, requestsBefore, "a rejected request must not reach the backend", file: file, line: line)
        }
        let logged = proxy.process.waitForAccessLogLine { $0["status"] == String(status) }
        XCTAssertNotNil(logged, "an access-log line with status=\(status)", file: file, line: line)
        return elapsed
    }

    private func assertRejected(
        _ request: String, status: Int, forwarded: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        try assertRejected(Array(request.utf8), status: status, forwarded: forwarded, file: file, line: line)
    }

    /// The process is alive and a normal request on a new connection is served.
    private func assertStillServing(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(proxy.process.isRunning, "pylon died: \(proxy.process.exitStatus.map { "\($0)" } ?? "?")\n\(proxy.process.logTail())", file: file, line: line)
        let result = try Curl.run(proxy.url + "/")
        XCTAssertEqual(result.status, 200, "\(result)", file: file, line: line)
        XCTAssertEqual(result.bodyText, "backend\n", file: file, line: line)
    }

    // MARK: Limits

    func testRequestLineOver8KiBIs414() throws {
        let target = "/" + String(repeating: "a", count: 9 * 1024)
        try assertRejected("GET \(target) HTTP/1.1\r\nHost: pylon.test\r\n\r\n", status: 414)
        try assertStillServing()
    }

    func testHeaderBlockOver32KiBIs431() throws {
        var request = "GET / HTTP/1.1\r\nHost: pylon.test\r\n"
        for index in 0..<40 { request += "X-Fill-\(index): \(String(repeating: "h", count: 1000))\r\n" }
        try assertRejected(request + "\r\n", status: 431)
        try assertStillServing()
    }

    func testRequestsJustUnderTheHeadLimitsAreServed() throws {
        // Control for 414/431: the limits are where they should be, not far lower.
        let target = "/" + String(repeating: "a", count: 7 * 1024)
        var request = "GET \(target) HTTP/1.1\r\nHost: pylon.test\r\n"
        for index in 0..<28 { request += "X-Fill-\(index): \(String(repeating: "h", count: 1000))\r\n" }
        let answer = try RawHTTPClient.exchange(port: proxy.port, send: request + "Connection: close\r\n\r\n", readTimeout: 4)
        XCTAssertEqual(answer.statusCodes, [200], answer.text.prefix(300).debugDescription)
        XCTAssertEqual(backend.receivedRequests.last?.uri, target)
    }

    func testContentLengthOverMaxBodyIs413() throws {
        try assertRejected("POST /sink HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 2097152\r\n\r\n" + String(repeating: "b", count: 1000), status: 413)
        try assertStillServing()
    }

    func testChunkedBodyOverMaxBodyIs413() throws {
        var request = Array("POST /sink HTTP/1.1\r\nHost: pylon.test\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let chunk = [UInt8](repeating: UInt8(ascii: "c"), count: 512 * 1024)
        for _ in 0..<3 {
            request += Array("80000\r\n".utf8) + chunk + Array("\r\n".utf8)
        }
        request += Array("0\r\n\r\n".utf8)
        // The head is valid and forwarded; the body is cut off once it passes 1 MiB.
        try assertRejected(request, status: 413, forwarded: true)
        try assertStillServing()
    }

    func testIncompleteHeadAfterHeaderTimeoutIs408() throws {
        let elapsed = try assertRejected(Array("GET / HTTP/1.1\r\nHost: pylon.test\r\nX-Slow: still typing".utf8), status: 408)
        XCTAssertGreaterThanOrEqual(elapsed, 0.9, "408 only once header_timeout (1 s) has passed")
        XCTAssertLessThan(elapsed, 2.5, "408 at header_timeout (1 s)")
        try assertStillServing()
    }

    /// Trickles a head one byte every 200 ms and returns when the 408 arrived (seconds after
    /// the first byte) and the response.
    private func trickleHead(on connection: RawConnection) throws -> (elapsed: Double, response: RawHTTPResponse) {
        let started = Date()
        let bytes = Array("GET / HTTP/1.1\r\nHost: pylon.test\r\nX-Slow-Loris: \(String(repeating: "z", count: 60))".utf8)
        for byte in bytes {
            do { try connection.send([byte]) } catch { break }  // pylon closed: the answer is buffered
            if !connection.peekReceived(timeout: 0.2).isEmpty { break }
            if Date().timeIntervalSince(started) > 5 { break }
        }
        let response = try connection.readResponse(timeout: 3)
        return (Date().timeIntervalSince(started), response)
    }

    func testTrickledHeadIs408AtHeaderTimeoutNotExtendedByEachByte() throws {
        let connection = try RawConnection(port: proxy.port)
        let (elapsed, response) = try trickleHead(on: connection)
        XCTAssertEqual(response.statusCode, 408, "\(response)")
        XCTAssertTrue(response.connectionClose)
        XCTAssertGreaterThanOrEqual(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 2.5, "the header timeout runs from the head's start; bytes trickling in must not extend it")
        XCTAssertTrue(connection.isClosedByPeer(timeout: 1))
        try assertStillServing()
    }

    func testTrickledHeadOnAKeptAliveConnectionIs408AtHeaderTimeoutNotIdleTimeout() throws {
        // idle_timeout is 5 s here; once the next head starts, header_timeout (1 s) applies.
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/"))
        XCTAssertEqual(try connection.readResponse().statusCode, 200)
        let (elapsed, response) = try trickleHead(on: connection)
        XCTAssertEqual(response.statusCode, 408, "\(response)")
        XCTAssertLessThan(elapsed, 2.5, "header_timeout (1 s), not idle_timeout (5 s)")
        XCTAssertTrue(connection.isClosedByPeer(timeout: 1))
    }

    // MARK: Smuggling defences

    func testContentLengthWithTransferEncodingIs400() throws {
        try assertRejected(
            "POST /sink HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            status: 400
        )
        try assertStillServing()
    }

    func testDuplicateDifferingContentLengthIs400() throws {
        try assertRejected(
            "POST /sink HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            status: 400
        )
        try assertStillServing()
    }

    func testBadChunkSizeIs400() throws {
        try assertRejected(
            "POST /sink HTTP/1.1\r\nHost: pylon.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            status: 400, forwarded: true
        )
        try assertStillServing()
    }

    func testObsoleteLineFoldingIs400() throws {
        try assertRejected("GET / HTTP/1.1\r\nHost: pylon.test\r\nX-Folded: first\r\n  second\r\n\r\n", status: 400)
        try assertStillServing()
    }

    func testWhitespaceBeforeColonIs400() throws {
        try assertRejected("GET / HTTP/1.1\r\nHost: pylon.test\r\nX-Spaced : value\r\n\r\n", status: 400)
        try assertStillServing()
    }

    func testNulByteInHeaderIs400() throws {
        try assertRejected("GET / HTTP/1.1\r\nHost: pylon.test\r\nX-Nul: a\u{0}b\r\n\r\n", status: 400)
        try assertStillServing()
    }

    // MARK: Hostile bytes

    func testGarbageBytesDoNotCrashPylon() throws {
        let garbage: [[UInt8]] = [
            [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + [UInt8](repeating: 0xAB, count: 200),  // TLS ClientHello-ish
            Array("\u{0}\u{0}\u{0}\u{0}GET / HTTP/1.1\r\n\r\n".utf8),
            Array("GET /\u{0} HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
            Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8),
            Array("GET / HTTP/9.9\r\nHost: x\r\n\r\n".utf8),
            Array("\r\n\r\n\r\n\n\n\n".utf8),
        ]
        for bytes in garbage {
            let answer = try RawHTTPClient.exchange(port: proxy.port, send: bytes, readTimeout: 4)
            XCTAssertTrue(answer.closedByPeer, "pylon must close a connection carrying garbage \(bytes.prefix(16)): \(answer.text.prefix(200).debugDescription)")
            XCTAssertTrue(answer.statusCodes.allSatisfy { (400..<600).contains($0) }, "only error answers: \(answer.statusCodes)")
        }
        XCTAssertEqual(backend.receivedRequests.count, 0, "no garbage was forwarded")
        try assertStillServing()
    }

    func testOneMiBRandomBlobDoesNotCrashPylon() throws {
        var generator = SplitMix64(seed: 0x5EED)
        let blob = (0..<(1 << 20)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let answer = try RawHTTPClient.exchange(port: proxy.port, send: blob, readTimeout: 4)
        XCTAssertTrue(answer.closedByPeer, "pylon must close the connection: \(answer.text.prefix(200).debugDescription)")
        XCTAssertTrue(answer.statusCodes.allSatisfy { (400..<600).contains($0) }, "only error answers: \(answer.statusCodes)")
        try assertStillServing()
    }

    func testHalfClosedClientStillGetsItsResponseThenAClose() throws {
        let answer = try RawHTTPClient.exchange(port: proxy.port, send: RawRequest.get("/slow/200"), readTimeout: 4, halfClose: true)
        XCTAssertEqual(answer.statusCodes, [200], answer.text.debugDescription)
        XCTAssertEqual(answer.responses.first?.bodyText, "slow\n")
        XCTAssertTrue(answer.closedByPeer, "after the response pylon closes its side too")
        XCTAssertFalse(answer.resetByPeer)
        try assertStillServing()
    }

    func testHalfCloseMidHeadClosesWithoutHanging() throws {
        let started = Date()
        let answer = try RawHTTPClient.exchange(port: proxy.port, send: "GET / HTTP/1.1\r\nHo", readTimeout: 4, halfClose: true)
        XCTAssertTrue(answer.closedByPeer, "pylon must not wait for a head that can never complete")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertTrue(answer.statusCodes.allSatisfy { (400..<600).contains($0) }, "\(answer.statusCodes)")
        XCTAssertEqual(backend.receivedRequests.count, 0)
        try assertStillServing()
    }

    func testHalfCloseMidBodyDoesNotCrashPylon() throws {
        let answer = try RawHTTPClient.exchange(
            port: proxy.port,
            send: "POST /sink HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 100\r\n\r\nonly part",
            readTimeout: 4, halfClose: true
        )
        XCTAssertTrue(answer.closedByPeer, "pylon must not wait for a body that can never complete")
        XCTAssertTrue(answer.statusCodes.allSatisfy { (400..<600).contains($0) }, "\(answer.statusCodes)")
        try assertStillServing()
    }
}

/// A tiny deterministic generator, so the random blob is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
