import Foundation
import Glibc
import XCTest

/// HTTP/2 towards clients on TLS listeners (ALPN `h2`): streams multiplexed on one
/// connection, each proxied to HTTP/1.1 upstreams with bodies streaming both ways, errors
/// confined to their stream, and a drain that closes with GOAWAY without losing a stream.
final class HTTP2DownstreamTests: TLSTestCase {
    /// A gateway with one certificate for `a.test` in front of `body`'s upstreams.
    private func startH2Gateway(body: String, limits: String? = nil) throws -> TLSGatewayUnderTest {
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        return try startTLSGateway(tls: "certificates: [{cert: a.pem, key: a.key}]", body: body, limits: limits)
    }

    /// One HTTP/2 request with curl to `a.test`, for bodies too large to keep in memory.
    private static func h2Request(
        _ gateway: TLSGatewayUnderTest, _ path: String, method: String? = nil, body: CurlRequestBody? = nil, discardBody: Bool = false
    ) throws -> CurlResult {
        try Curl.run(
            "https://a.test:\(gateway.port)\(path)", method: method, body: body, maxTime: 60, discardBody: discardBody,
            extraArguments: [
                "--http2", "--cacert", gateway.authority.certificatePath, "--resolve", "a.test:\(gateway.port):127.0.0.1",
            ]
        )
    }

    func testCurlOverTLSSpeaksHTTP2AndGetsTheBackendsBody() throws {
        let backend = try startBackend(name: "h2-backend")
        let gateway = try startH2Gateway(body: routeEverything(to: backend))

        let result = try gateway.request("/hello", host: "a.test", extraArguments: ["--http2"])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertTrue(result.statusLine.hasPrefix("HTTP/2 200"), "\(result)")
        XCTAssertEqual(result.bodyText, "h2-backend\n")

        // Upstream it is plain HTTP/1.1: `:authority` became Host, the scheme is https, and
        // nothing connection-specific was made up on the way.
        let report = try gateway.request("/headers", host: "a.test", extraArguments: ["--http2"])
        XCTAssertTrue(report.statusLine.hasPrefix("HTTP/2 200"), "\(report)")
        let forwarded = try JSONDecoder().decode(BackendRequestReport.self, from: report.body)
        XCTAssertEqual(forwarded.version, "HTTP/1.1")
        XCTAssertEqual(forwarded.values("host"), ["a.test:\(gateway.port)"])
        XCTAssertEqual(forwarded.values("x-forwarded-proto"), ["https"])
        XCTAssertEqual(forwarded.values("x-forwarded-for"), ["127.0.0.1"])
        XCTAssertEqual(forwarded.values("via"), ["2 pylon"])
        for name in ["connection", "keep-alive", "te", "transfer-encoding", "upgrade"] {
            XCTAssertEqual(forwarded.values(name), [], name)
        }
        // And back: no hop-by-hop field in the HTTP/2 response (curl would refuse it).
        XCTAssertNil(report.header(named: "connection"))

        // A HEAD response keeps its Content-Length and carries no DATA.
        let head = try Self.h2Request(gateway, "/bytes/1000", method: "HEAD")
        XCTAssertEqual(head.exitCode, 0, "\(head)")
        XCTAssertTrue(head.statusLine.hasPrefix("HTTP/2 200"), "\(head)")
        XCTAssertEqual(head.header(named: "content-length"), "1000")
        XCTAssertEqual(head.downloadedBytes, 0)
        let noContent = try Self.h2Request(gateway, "/status/204")
        XCTAssertTrue(noContent.statusLine.hasPrefix("HTTP/2 204"), "\(noContent)")
    }

    func testSplitCookieFieldsReachAnHTTP11UpstreamAsOneFieldInTheirOrder() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        let result = try runNGHTTP([
            "-H", "cookie: a=1", "-H", "accept: */*", "-H", "cookie: b=2", "-H", "cookie: c=3",
            "https://127.0.0.1:\(gateway.port)/headers",
        ])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        // The client split them (RFC 9113 §8.2.3), so there was something to join.
        XCTAssertEqual(result.sentFields.filter { $0.hasPrefix("cookie:") }, ["cookie: a=1", "cookie: b=2", "cookie: c=3"], "\(result)")
        let received = try XCTUnwrap(backend.receivedRequests.last, "\(result)")
        XCTAssertEqual(received.version, .http1_1)
        XCTAssertEqual(received.headers["cookie"], ["a=1; b=2; c=3"], "\(result)")
    }

    func testEveryResponseOnAConnectionCarriesItsOwnRequestID() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        // Two streams on one connection: the ID goes without indexing, and the second
        // response's must still decode to its own value.
        let result = try runNGHTTP(["https://127.0.0.1:\(gateway.port)/a", "https://127.0.0.1:\(gateway.port)/b"])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        let ids = result.receivedFields.filter { $0.hasPrefix("x-request-id: ") }
        XCTAssertEqual(ids.count, 2, "\(result)")
        XCTAssertEqual(Set(ids).count, 2, "\(result)")
        XCTAssertEqual(Set(backend.receivedRequests.flatMap { $0.headers["x-request-id"] }.map { "x-request-id: \($0)" }), Set(ids))
    }

    func testALocalAnswerCarriesItsBodyWhetherOrNotTheRequestHasOne() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: """
            upstreams:
              default:
                targets: ["\(backend.address)"]
            routes:
              - {path_prefix: /only, upstream: default}

            """)

        let get = try Self.h2Request(gateway, "/elsewhere")
        XCTAssertTrue(get.statusLine.hasPrefix("HTTP/2 404"), "\(get)")
        XCTAssertEqual(get.bodyText, "no route for /elsewhere\n", "\(get)")
        // Answered while the body is still on its way: the whole answer, then a reset
        // that only stops the upload.
        let post = try Self.h2Request(gateway, "/elsewhere", method: "POST", body: .data(Data(count: 256 * 1024)))
        XCTAssertTrue(post.statusLine.hasPrefix("HTTP/2 404"), "\(post)")
        XCTAssertEqual(post.bodyText, "no route for /elsewhere\n", "\(post)")
        XCTAssertEqual(backend.receivedRequests.count, 0)
    }

    func testALPNStillServesHTTP11ToClientsWithoutH2() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        let result = try gateway.request("/hello", host: "a.test", extraArguments: ["--http1.1"])
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertTrue(result.statusLine.hasPrefix("HTTP/1.1 200"), "\(result)")
    }

    func testManyParallelStreamsOnOneConnectionAllSucceed() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        // One connection, 20 streams in flight at a time.
        let load = try runH2Load(["-n", "200", "-c", "1", "-m", "20", "https://127.0.0.1:\(gateway.port)/bytes/10000"])
        XCTAssertEqual(load.applicationProtocol, "h2", "\(load)")
        XCTAssertEqual(load.succeeded, 200, "\(load)")
        XCTAssertEqual(load.errored, 0, "\(load)")
        XCTAssertEqual(load.statusClasses["2xx"], 200, "\(load)")
        XCTAssertEqual(backend.receivedRequests.count, 200)
        // `logging` ran exactly once per stream, each a success.
        func accessLog() -> [Substring] { gateway.process.stdoutText().split(separator: "\n") }
        XCTAssertTrue(waitUntil(timeout: 3) { accessLog().count >= 200 })
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(accessLog().count, 200)
        XCTAssertEqual(accessLog().filter { $0.contains("status=200") && !$0.contains("error=") }.count, 200)
    }

    func testH2LoadOverFourConnectionsWithTenStreamsEachHasNoErrors() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        let load = try runH2Load(["-n", "2000", "-c", "4", "-m", "10", "https://127.0.0.1:\(gateway.port)/"])
        XCTAssertEqual(load.applicationProtocol, "h2", "\(load)")
        XCTAssertEqual(load.succeeded, 2000, "\(load)")
        XCTAssertEqual(load.failed, 0, "\(load)")
        XCTAssertEqual(load.errored, 0, "\(load)")
        XCTAssertEqual(load.statusClasses["2xx"], 2000, "\(load)")
    }

    func testAnUpstreamErrorFailsOnlyItsOwnStream() throws {
        let backend = try startBackend()
        let deadPort = try freePort()
        let gateway = try startH2Gateway(
            body: """
                upstreams:
                  live:
                    targets: ["\(backend.address)"]
                  dead:
                    targets: ["127.0.0.1:\(deadPort)"]
                routes:
                  - {path_prefix: /dead, upstream: dead}
                  - {path_prefix: /, upstream: live}

                """
        )
        let failed = try gateway.request("/dead", host: "a.test", extraArguments: ["--http2"])
        XCTAssertTrue(failed.statusLine.hasPrefix("HTTP/2 502"), "\(failed)")

        // On one connection, streams to the dead upstream get 502 while the others are served.
        let load = try runH2Load([
            "-n", "40", "-c", "1", "-m", "4",
            "https://127.0.0.1:\(gateway.port)/dead", "https://127.0.0.1:\(gateway.port)/bytes/1000",
        ])
        XCTAssertEqual(load.errored, 0, "\(load)")
        XCTAssertEqual(load.statusClasses["2xx"], 20, "\(load)")
        XCTAssertEqual(load.statusClasses["5xx"], 20, "\(load)")
    }

    func testLargeUploadAndDownloadStreamThroughWithFlatMemory() throws {
        let size = 64 << 20
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend), limits: "{max_body: 0}")
        let warmUp = try Self.h2Request(gateway, "/bytes/300000", discardBody: true)
        XCTAssertEqual(warmUp.exitCode, 0, "\(warmUp)")
        Thread.sleep(forTimeInterval: 0.2)
        let baseline = try XCTUnwrap(RSSSampler.residentKiB(of: gateway.process.pid))

        let file = "\(try makeTempDirectory())/upload.bin"
        try ProxyTestFiles.makeSparseFile(at: file, size: size)
        let sampler = RSSSampler(pid: gateway.process.pid)
        let upload = try Self.h2Request(gateway, "/sink", method: "POST", body: .file(file))
        let download = try Self.h2Request(gateway, "/bytes/\(size)", discardBody: true)
        let peak = sampler.stop()

        XCTAssertTrue(upload.statusLine.hasPrefix("HTTP/2 200"), "\(upload)")
        XCTAssertEqual(upload.bodyText, String(size), "the backend must receive every byte")
        XCTAssertEqual(download.exitCode, 0, "\(download)")
        XCTAssertTrue(download.statusLine.hasPrefix("HTTP/2 200"), "\(download)")
        XCTAssertEqual(download.downloadedBytes, size, "\(download)")
        let growth = peak.peakKiB - baseline
        XCTAssertGreaterThan(peak.samples, 5)
        XCTAssertLessThan(growth, 48 << 10, "pylon RSS grew by \(growth / 1024) MiB moving 64 MiB each way")
    }

    func testADrainDuringH2LoadLosesNoStartedStreamAndEndsWithGoAway() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: "drain_timeout: 10s\n" + routeEverything(to: backend))
        let load = try startH2Load(["-n", "100000", "-c", "4", "-m", "10", "https://127.0.0.1:\(gateway.port)/"])
        XCTAssertTrue(waitUntil(timeout: 10) { backend.receivedRequests.count > 200 })

        gateway.process.signal(SIGQUIT)
        XCTAssertEqual(gateway.process.waitForExit(timeout: 15), 0, gateway.process.logTail())
        XCTAssertNotNil(load.waitForExit(timeout: 10), "h2load must see every connection end")
        let result = H2LoadResult(output: load.stdoutText() + load.stderrText())
        XCTAssertGreaterThan(result.started, 200, "\(result)")
        XCTAssertLessThan(result.started, 100000, "the drain must have stopped the run early: \(result)")
        assertNoStreamLost(result, total: 100000)
        // Every request that reached pylon was answered in full: each one the backend saw
        // reached h2load, no access-log line records an error, and nio-http2 refused none.
        XCTAssertEqual(backend.receivedRequests.count, result.succeeded, "\(result)")
        XCTAssertFalse(gateway.process.stdoutText().contains("error="), gateway.process.logTail())
        XCTAssertFalse(gateway.process.settledStderrText().contains("HTTP/2 stream error"), gateway.process.logTail())
    }

    /// Offers only h2, then sends an HTTP/1.1 request instead of the connection preface, and
    /// prints the frames the server sent and how the connection ended.
    private static let badPrefaceScript = #"""
    import socket, ssl, sys
    port, ca = int(sys.argv[1]), sys.argv[2]
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="a.test")
    print("alpn %s" % connection.selected_alpn_protocol(), flush=True)
    connection.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n" + b"x" * 64)
    connection.settimeout(10)
    data = b""
    try:
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        ending = "closed"
    except socket.timeout:
        ending = "still open"
    except (ssl.SSLError, OSError):
        ending = "closed"
    offset = 0
    while offset + 9 <= len(data):
        length, kind = int.from_bytes(data[offset:offset + 3], "big"), data[offset + 3]
        if kind == 7:
            print("goaway error %d" % int.from_bytes(data[offset + 13:offset + 17], "big"), flush=True)
        offset += 9 + length
    print(ending, flush=True)
    """#

    func testGarbageInsteadOfThePrefaceIsClosedWithGoAwayAndLogged() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        let scriptPath = "\(try testDirectory())/bad-preface.py"
        try Data(Self.badPrefaceScript.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let client = try startProcess(
            executable: "python3", arguments: ["-u", scriptPath, String(gateway.port), gateway.authority.certificatePath],
            label: "bad-preface"
        )
        XCTAssertNotNil(client.waitForExit(timeout: 15), client.logTail())
        let output = client.stdoutText()
        XCTAssertTrue(output.contains("alpn h2"), client.logTail())
        XCTAssertTrue(output.contains("goaway error 1"), "a GOAWAY with PROTOCOL_ERROR: \(client.logTail())")
        XCTAssertTrue(output.hasSuffix("closed\n"), client.logTail())
        try gateway.process.waitForLog(containing: "HTTP/2 connection error")

        // The server keeps serving.
        let result = try gateway.request("/hello", host: "a.test", extraArguments: ["--http2"])
        XCTAssertTrue(result.statusLine.hasPrefix("HTTP/2 200"), "\(result)")
    }

    func testABodyOverTheLimitIsAnswered413OnItsStream() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend), limits: "{max_body: 1KiB}")
        let result = try Self.h2Request(gateway, "/sink", method: "POST", body: .data(Data(count: 64 * 1024)))
        XCTAssertTrue(result.statusLine.hasPrefix("HTTP/2 413"), "\(result)")
        XCTAssertEqual(backend.receivedRequests.count, 0)
        let small = try Self.h2Request(gateway, "/sink", method: "POST", body: .data(Data(count: 1000)))
        XCTAssertEqual(small.bodyText, "1000", "\(small)")
    }

    /// Opens 500 streams and resets each at once (CVE-2023-44487), with hand-made frames:
    /// prints the GOAWAY error code the server answered with and how the connection ended.
    private static let rapidResetScript = #"""
    import socket, ssl, sys
    port, ca = int(sys.argv[1]), sys.argv[2]
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="a.test")
    def frame(kind, flags, stream, payload=b""):
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload
    # GET https://a.test/ in HPACK: indexed :method GET, :scheme https, :path /, literal :authority.
    block = bytes([0x82, 0x87, 0x84, 0x01, 6]) + b"a.test"
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0)
    for index in range(500):
        stream = 1 + 2 * index
        out += frame(1, 0x5, stream, block) + frame(3, 0, stream, (8).to_bytes(4, "big"))
    try:
        connection.sendall(out)
    except OSError:
        pass
    connection.settimeout(10)
    data = b""
    try:
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        ending = "closed"
    except socket.timeout:
        ending = "still open"
    except (ssl.SSLError, OSError):
        ending = "closed"
    offset = 0
    while offset + 9 <= len(data):
        length, kind = int.from_bytes(data[offset:offset + 3], "big"), data[offset + 3]
        if kind == 7:
            print("goaway error %d" % int.from_bytes(data[offset + 13:offset + 17], "big"), flush=True)
        offset += 9 + length
    print(ending, flush=True)
    """#

    func testRapidResetClosesTheConnectionWithEnhanceYourCalm() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        let scriptPath = "\(try testDirectory())/rapid-reset.py"
        try Data(Self.rapidResetScript.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let client = try startProcess(
            executable: "python3", arguments: ["-u", scriptPath, String(gateway.port), gateway.authority.certificatePath],
            label: "rapid-reset"
        )
        XCTAssertNotNil(client.waitForExit(timeout: 20), client.logTail())
        let output = client.stdoutText()
        XCTAssertTrue(output.contains("goaway error 11"), "a GOAWAY with ENHANCE_YOUR_CALM: \(client.logTail())")
        XCTAssertTrue(output.hasSuffix("closed\n"), client.logTail())
        try gateway.process.waitForLog(containing: "too many stream resets (rapid reset)")

        let result = try gateway.request("/hello", host: "a.test", extraArguments: ["--http2"])
        XCTAssertTrue(result.statusLine.hasPrefix("HTTP/2 200"), "\(result)")
    }

    /// Opens stream 1 for `/slow/1500` with hand-made frames, answers SETTINGS and PINGs, and
    /// prints every GOAWAY, PING, the end of stream 1 and how the connection ended, in order.
    private static let drainObserverScript = #"""
    import socket, ssl, sys
    port, ca = int(sys.argv[1]), sys.argv[2]
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="a.test")
    def frame(kind, flags, stream, payload=b""):
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload
    path = b"/slow/1500"
    block = bytes([0x82, 0x87, 0x04, len(path)]) + path + bytes([0x01, 6]) + b"a.test"
    connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 0x5, 1, block))
    print("sent", flush=True)
    connection.settimeout(20)
    data = b""
    try:
        while True:
            while len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[:3], "big"):
                length, kind, flags = int.from_bytes(data[:3], "big"), data[3], data[4]
                stream = int.from_bytes(data[5:9], "big") & 0x7FFFFFFF
                payload, data = data[9:9 + length], data[9 + length:]
                if kind == 4 and not flags & 1:
                    connection.sendall(frame(4, 1, 0))
                elif kind == 6 and not flags & 1:
                    print("ping", flush=True)
                    connection.sendall(frame(6, 1, 0, payload))
                elif kind == 7:
                    last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
                    print("goaway last=%d error=%d" % (last, int.from_bytes(payload[4:8], "big")), flush=True)
                elif kind in (0, 1) and stream == 1 and flags & 1:
                    print("end of stream 1", flush=True)
                elif kind == 3:
                    print("reset %d" % stream, flush=True)
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        print("closed", flush=True)
    except socket.timeout:
        print("still open", flush=True)
    except (ssl.SSLError, OSError) as error:
        print("closed (%s)" % error, flush=True)
    """#

    func testADrainSendsTwoGoAwaysFinishesTheStreamInFlightThenCloses() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: "drain_timeout: 10s\n" + routeEverything(to: backend))
        let scriptPath = "\(try testDirectory())/drain-observer.py"
        try Data(Self.drainObserverScript.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let client = try startProcess(
            executable: "python3", arguments: ["-u", scriptPath, String(gateway.port), gateway.authority.certificatePath],
            label: "drain-observer"
        )
        XCTAssertTrue(waitUntil(timeout: 10) { backend.receivedRequests.count == 1 }, client.logTail())

        gateway.process.signal(SIGQUIT)
        XCTAssertNotNil(client.waitForExit(timeout: 15), client.logTail())
        XCTAssertEqual(gateway.process.waitForExit(timeout: 10), 0, gateway.process.logTail())
        let lines = client.stdoutText().split(separator: "\n").map(String.init)
        // First "no new streams, all you sent are taken", a PING to learn when the client has
        // seen it, then the real last stream; the stream in flight completes; then the close.
        XCTAssertEqual(
            lines,
            ["sent", "goaway last=2147483647 error=0", "ping", "goaway last=1 error=0", "end of stream 1", "closed"],
            client.logTail()
        )
    }

    /// Opens stream 1 as a POST with `content-length: 100`, sends 10 bytes of it and stalls,
    /// printing the end of the response on stream 1, a reset of it, and how the connection ended.
    private static let stalledUploadScript = #"""
    import socket, ssl, sys
    port, ca = int(sys.argv[1]), sys.argv[2]
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="a.test")
    def frame(kind, flags, stream, payload=b""):
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload
    # POST https://a.test/sink, content-length: 100 (HPACK: indexed :method POST, :scheme https,
    # literal :path, :authority and content-length with indexed names).
    block = bytes([0x83, 0x87, 0x04, 5]) + b"/sink" + bytes([0x01, 6]) + b"a.test" + bytes([0x0f, 0x0d, 3]) + b"100"
    connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 0x4, 1, block) + frame(0, 0, 1, b"x" * 10))
    connection.settimeout(10)
    data = b""
    try:
        while True:
            while len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[:3], "big"):
                length, kind, flags = int.from_bytes(data[:3], "big"), data[3], data[4]
                stream = int.from_bytes(data[5:9], "big") & 0x7FFFFFFF
                payload, data = data[9:9 + length], data[9 + length:]
                if kind == 4 and not flags & 1:
                    connection.sendall(frame(4, 1, 0))
                elif kind in (0, 1) and stream == 1 and flags & 1:
                    print("end of stream 1", flush=True)
                elif kind == 3 and stream == 1:
                    print("reset 1 error=%d" % int.from_bytes(payload, "big"), flush=True)
                    raise SystemExit
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        print("closed", flush=True)
    except socket.timeout:
        print("still open", flush=True)
    """#

    func testAStalledUploadIsAnswered408AfterTheBodyTimeout() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend), limits: "{body_timeout: 1s}")
        let scriptPath = "\(try testDirectory())/stalled-upload.py"
        try Data(Self.stalledUploadScript.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let client = try startProcess(
            executable: "python3", arguments: ["-u", scriptPath, String(gateway.port), gateway.authority.certificatePath],
            label: "stalled-upload"
        )
        XCTAssertNotNil(client.waitForExit(timeout: 15), client.logTail())
        // The 408 ends the response; the rest of the body is then refused with NO_ERROR.
        XCTAssertEqual(client.stdoutText(), "end of stream 1\nreset 1 error=0\n", client.logTail())
        XCTAssertTrue(waitUntil(timeout: 3) { gateway.process.stdoutText().contains("status=408") }, gateway.process.logTail())
    }

    func testAHeaderListOverTheLimitIsRefusedAndTheServerGoesOn() throws {
        let backend = try startBackend()
        let gateway = try startH2Gateway(body: routeEverything(to: backend))
        let big = String(repeating: "a", count: 48 * 1024)
        // HPACK decoding stops at the advertised limit: the connection ends with GOAWAY.
        let refused = try gateway.request("/hello", host: "a.test", extraArguments: ["--http2", "-H", "X-Big: \(big)"])
        XCTAssertNotEqual(refused.exitCode, 0, "\(refused)")
        XCTAssertEqual(refused.status, 0, "\(refused)")
        try gateway.process.waitForLog(containing: "ExcessivelyLargeHeaderBlock")
        XCTAssertEqual(backend.receivedRequests.count, 0)
        let result = try gateway.request("/hello", host: "a.test", extraArguments: ["--http2"])
        XCTAssertTrue(result.statusLine.hasPrefix("HTTP/2 200"), "\(result)")
    }
}
