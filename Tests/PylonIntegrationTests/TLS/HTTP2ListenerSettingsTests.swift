import Foundation
import XCTest

/// A TLS listener's `http2` section on the real binary: the settings clients are sent (as
/// nghttp prints them), the stream limit enforced, h2 switched off in ALPN, keep-alive PINGs
/// that close a silent client, and a maximum connection age that closes with two GOAWAYs
/// while clients carry on over new connections without a failed request.
final class HTTP2ListenerSettingsTests: TLSTestCase {
    private func startGateway(http2: String?, body: String? = nil, backend: TestBackend) throws -> TLSGatewayUnderTest {
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        return try startTLSGateway(
            tls: "certificates: [{cert: a.pem, key: a.key}]", body: body ?? routeEverything(to: backend), http2: http2
        )
    }

    /// Speaks HTTP/2 with hand-made frames: ACKs the server's SETTINGS, then opens one GET
    /// stream per path (ids 1, 3, 5, …), and prints, in order, every PING the server sends
    /// (answered unless `answer_pings` is 0), GOAWAY, RST_STREAM and stream end, then how the
    /// connection ended, or `still open` after `timeout` seconds. With `exit_when_done` 1 it
    /// stops once every stream has ended.
    private static let observerScript = #"""
    import socket, ssl, sys, time
    port, ca, answer_pings, exit_when_done, timeout = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", sys.argv[4] == "1", float(sys.argv[5])
    paths = sys.argv[6:]
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="a.test")
    def frame(kind, flags, stream, payload=b""):
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload
    def request(path):
        path = path.encode()
        return bytes([0x82, 0x87, 0x04, len(path)]) + path + bytes([0x01, 6]) + b"a.test"
    connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
    deadline = time.monotonic() + timeout
    data = b""
    pending = set()
    try:
        while True:
            while len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[:3], "big"):
                length, kind, flags = int.from_bytes(data[:3], "big"), data[3], data[4]
                stream = int.from_bytes(data[5:9], "big") & 0x7FFFFFFF
                payload, data = data[9:9 + length], data[9 + length:]
                if kind == 4 and not flags & 1:
                    # Streams only after the ACK, so the server's limits apply to them.
                    out = frame(4, 1, 0)
                    for index, path in enumerate(paths):
                        pending.add(1 + 2 * index)
                        out += frame(1, 0x5, 1 + 2 * index, request(path))
                    connection.sendall(out)
                elif kind == 6 and not flags & 1:
                    print("ping", flush=True)
                    if answer_pings:
                        connection.sendall(frame(6, 1, 0, payload))
                elif kind == 7:
                    last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
                    print("goaway last=%d error=%d" % (last, int.from_bytes(payload[4:8], "big")), flush=True)
                elif kind in (0, 1) and stream in pending and flags & 1:
                    print("end of stream %d" % stream, flush=True)
                    pending.discard(stream)
                elif kind == 3:
                    print("reset %d error=%d" % (stream, int.from_bytes(payload, "big")), flush=True)
                    pending.discard(stream)
                if exit_when_done and paths and not pending:
                    print("done", flush=True)
                    raise SystemExit
            if time.monotonic() >= deadline:
                raise socket.timeout()
            connection.settimeout(deadline - time.monotonic())
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

    /// Runs the observer script against `gateway` to its end; returns its output lines.
    private func observe(
        _ gateway: TLSGatewayUnderTest, paths: [String] = [], answerPings: Bool = true, exitWhenDone: Bool = false,
        timeout: Double = 10
    ) throws -> [String] {
        let scriptPath = "\(try testDirectory())/h2-observer.py"
        try Data(Self.observerScript.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let client = try startProcess(
            executable: "python3",
            arguments: ["-u", scriptPath, String(gateway.port), gateway.authority.certificatePath, answerPings ? "1" : "0",
                        exitWhenDone ? "1" : "0", String(timeout)] + paths,
            label: "h2-observer"
        )
        XCTAssertNotNil(client.waitForExit(timeout: timeout + 10), client.logTail())
        return client.stdoutText().split(separator: "\n").map(String.init)
    }

    // MARK: Settings

    func testNghttpIsSentTheConfiguredSettingsAndConnectionWindow() throws {
        let backend = try startBackend(name: "h2-settings")
        let gateway = try startGateway(
            http2: "{max_concurrent_streams: 7, initial_stream_window: 128KiB, connection_window: 4MiB, max_frame_size: 32KiB, max_header_list_size: 20KiB}",
            backend: backend
        )
        let nghttp = try startProcess(executable: "/usr/bin/nghttp", arguments: ["-v", "https://127.0.0.1:\(gateway.port)/hello"], label: "nghttp")
        XCTAssertEqual(nghttp.waitForExit(timeout: 15), 0, nghttp.logTail())
        let output = nghttp.stdoutText()
        // The server's SETTINGS, as nghttp prints the frames it received.
        for line in [
            "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):7]",
            "[SETTINGS_INITIAL_WINDOW_SIZE(0x04):131072]",
            "[SETTINGS_MAX_FRAME_SIZE(0x05):32768]",
            "[SETTINGS_MAX_HEADER_LIST_SIZE(0x06):20480]",
            "[SETTINGS_ENABLE_PUSH(0x02):0]",
        ] {
            XCTAssertTrue(output.contains(line), "\(line) missing from:\n\(output)")
        }
        // The connection window grows from its fixed 65535 bytes to 4MiB at once.
        XCTAssertTrue(output.contains("recv WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=0>"), output)
        XCTAssertTrue(output.contains("(window_size_increment=\((4 << 20) - 65_535))"), output)
        XCTAssertTrue(output.contains(":status: 200"), output)
    }

    func testTheDefaultSettingsAreTheLongStandingOnes() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: nil, backend: backend)
        let nghttp = try startProcess(executable: "/usr/bin/nghttp", arguments: ["-v", "https://127.0.0.1:\(gateway.port)/hello"], label: "nghttp")
        XCTAssertEqual(nghttp.waitForExit(timeout: 15), 0, nghttp.logTail())
        let output = nghttp.stdoutText()
        for line in [
            "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]",
            "[SETTINGS_INITIAL_WINDOW_SIZE(0x04):262144]",
            "[SETTINGS_MAX_FRAME_SIZE(0x05):16384]",
            // limits.max_header_bytes (32KiB) + limits.max_request_line (8KiB)
            "[SETTINGS_MAX_HEADER_LIST_SIZE(0x06):40960]",
            "(window_size_increment=\((1 << 20) - 65_535))",
        ] {
            XCTAssertTrue(output.contains(line), "\(line) missing from:\n\(output)")
        }
    }

    func testAStreamBeyondMaxConcurrentStreamsIsRefusedAndTheOthersFinish() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{max_concurrent_streams: 2}", backend: backend)
        let lines = try observe(gateway, paths: ["/slow/1000", "/slow/1000", "/slow/1000"])
        // nio-http2 refuses the third stream with GOAWAY PROTOCOL_ERROR naming no stream;
        // pylon then names stream 3 as the last it took, so the client knows stream 5 was
        // never processed, and closes once the two within the limit are answered.
        XCTAssertEqual(lines.prefix(2), ["goaway last=2147483647 error=1", "goaway last=3 error=1"], "\(lines)")
        XCTAssertEqual(Set(lines.dropFirst(2).prefix(2)), ["end of stream 1", "end of stream 3"], "\(lines)")
        XCTAssertEqual(lines.last, "closed", "\(lines)")
        XCTAssertEqual(lines.count, 5, "\(lines)")
        XCTAssertEqual(backend.receivedRequests.count, 2)
        try gateway.process.waitForLog(containing: "HTTP/2 client opened more concurrent streams than allowed")
    }

    func testH2LoadWithMoreStreamsThanTheLimitStaysWithinIt() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{max_concurrent_streams: 3}", backend: backend)
        // h2load honours the advertised limit: 10 streams asked for, 3 at a time, none refused.
        let load = try runH2Load(["-n", "300", "-c", "1", "-m", "10", "https://127.0.0.1:\(gateway.port)/"])
        XCTAssertEqual(load.succeeded, 300, "\(load)")
        XCTAssertEqual(load.errored, 0, "\(load)")
        XCTAssertFalse(gateway.process.settledStderrText().contains("HTTP/2 stream error"), gateway.process.logTail())
        XCTAssertFalse(gateway.process.stdoutText().contains("HTTP/2 stream error"), gateway.process.logTail())
    }

    func testWithHTTP2DisabledALPNOffersOnlyHTTP11() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{enabled: false}", backend: backend)
        let result = try gateway.request("/hello", host: "a.test", extraArguments: ["--http2"])
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertTrue(result.statusLine.hasPrefix("HTTP/1.1 200"), "curl asked for h2 and got HTTP/1.1: \(result)")
        let load = try runH2Load(["-n", "1", "-c", "1", "https://127.0.0.1:\(gateway.port)/"])
        XCTAssertNotEqual(load.applicationProtocol, "h2", "\(load)")
    }

    // MARK: Keep-alive PINGs

    func testASilentClientIsPingedAndClosedWhenItDoesNotAnswer() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{ping_interval: 1s, ping_timeout: 1s}", backend: backend)
        let lines = try observe(gateway, answerPings: false, timeout: 15)
        XCTAssertEqual(lines.count, 2, "\(lines)")
        XCTAssertEqual(lines.first, "ping", "\(lines)")
        XCTAssertTrue(lines.last?.hasPrefix("closed") == true, "closed by the server, not still open: \(lines)")
        try gateway.process.waitForLog(containing: "HTTP/2 client did not answer a keep-alive PING; closing")
    }

    func testAClientThatAnswersPingsStaysConnected() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{ping_interval: 1s, ping_timeout: 1s}", backend: backend)
        let lines = try observe(gateway, answerPings: true, timeout: 4.5)
        XCTAssertGreaterThanOrEqual(lines.filter { $0 == "ping" }.count, 2, "\(lines)")
        XCTAssertEqual(lines.last, "still open", "\(lines)")
        XCTAssertFalse(gateway.process.settledStderrText().contains("keep-alive PING"), gateway.process.logTail())
    }

    // MARK: Maximum connection age

    func testTheMaximumAgeSendsTwoGoAwaysAndFinishesTheStreamInFlight() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{max_connection_age: 500ms}", backend: backend)
        let lines = try observe(gateway, paths: ["/slow/1500"], timeout: 10)
        XCTAssertEqual(
            lines, ["goaway last=2147483647 error=0", "ping", "goaway last=1 error=0", "end of stream 1", "closed"], "\(lines)"
        )
        XCTAssertTrue(gateway.process.isRunning, "the server goes on")
    }

    func testTheGraceEndsAStreamThatOutlivesIt() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{max_connection_age: 500ms, max_connection_age_grace: 500ms}", backend: backend)
        let lines = try observe(gateway, paths: ["/slow/5000"], timeout: 10)
        XCTAssertEqual(lines.prefix(3), ["goaway last=2147483647 error=0", "ping", "goaway last=1 error=0"], "\(lines)")
        XCTAssertFalse(lines.contains("end of stream 1"), "\(lines)")
        XCTAssertTrue(lines.last?.hasPrefix("closed") == true, "\(lines)")
        try gateway.process.waitForLog(containing: "HTTP/2 connection past its maximum age and grace; closing")
    }

    func testCurlRequestsAcrossManyConnectionAgesAllSucceed() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{max_connection_age: 300ms}", backend: backend)
        // 600 requests, 10 at a time, over HTTP/2 connections that each end after ~300ms;
        // curl moves to a new connection after each GOAWAY.
        let urls = (0..<600).map { "url = \"https://a.test:\(gateway.port)/slow/20?n=\($0)\"\noutput = \"/dev/null\"\n" }
        let configFile = "\(try testDirectory())/curl-urls.txt"
        try Data(urls.joined().utf8).write(to: URL(fileURLWithPath: configFile))
        let curl = try startProcess(
            executable: Curl.executable,
            arguments: [
                "-q", "--noproxy", "*", "-s", "-S", "--http2", "--parallel", "--parallel-max", "10",
                "--cacert", gateway.authority.certificatePath, "--resolve", "a.test:\(gateway.port):127.0.0.1",
                "-w", "%{http_code} %{http_version}\n", "--max-time", "30", "-K", configFile,
            ],
            label: "curl"
        )
        XCTAssertEqual(curl.waitForExit(timeout: 60), 0, curl.logTail())
        let statuses = curl.stdoutText().split(separator: "\n")
        XCTAssertEqual(statuses.count, 600, curl.logTail())
        XCTAssertEqual(statuses.filter { $0 == "200 2" }.count, 600, curl.logTail())
        XCTAssertEqual(backend.receivedRequests.count, 600)
        // The run outlived several connection ages.
        let ages = { gateway.process.stderrText().components(separatedBy: "reached its maximum age").count - 1 }
        XCTAssertTrue(waitUntil(timeout: 5) { ages() >= 2 }, gateway.process.logTail())
    }

    func testH2LoadAcrossConnectionAgesLosesNoStartedStream() throws {
        let backend = try startBackend()
        let gateway = try startGateway(http2: "{max_connection_age: 1s}", backend: backend)
        var runs: [H2LoadResult] = []
        let started = Date()
        // Each run takes longer than a connection lives.
        while Date().timeIntervalSince(started) < 3 {
            runs.append(try runH2Load(["-n", "10000", "-c", "4", "-m", "10", "https://127.0.0.1:\(gateway.port)/slow/5"]))
        }
        for run in runs { assertNoStreamLost(run, total: 10000) }
        let succeeded = runs.reduce(0) { $0 + $1.succeeded }
        XCTAssertEqual(backend.receivedRequests.count, succeeded, "every request that reached pylon was answered")
        XCTAssertGreaterThan(runs.filter { $0.started < 10000 }.count, 0, "some run must have met a GOAWAY: \(runs)")
        XCTAssertFalse(gateway.process.settledStderrText().contains("HTTP/2 stream error"), gateway.process.logTail())
    }

    // MARK: Config errors

    func testCheckReportsEveryBadHTTP2ValueAtItsLineAndColumn() throws {
        let path = try writeConfig(
            """
            listeners:
              - name: https
                address: "127.0.0.1:6443"
                tls: {certificates: [{cert: a.pem, key: a.key}]}
                http2:
                  max_concurrent_streams: 0
                  initial_stream_window: 2GiB
                  connection_window: 1KiB
                  max_frame_size: 8KiB
                  max_resets: lots
                  ping_interval: 10ms
                  max_connection_age_grace: 5s
            upstreams:
              default: {targets: ["127.0.0.1:9"]}
            routes:
              - {path_prefix: /, upstream: default}

            """,
            named: "bad-http2.yaml"
        )
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        let result = try runPylonToExit(["check", "-c", path])
        XCTAssertEqual(result.code, 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let expected = [
            ("6:31", "max_concurrent_streams: 0 streams would refuse every request"),
            ("7:30", "initial_stream_window: 2147483648 bytes is out of range"),
            ("8:26", "connection_window: 1024 bytes is out of range"),
            ("9:23", "max_frame_size: 8192 bytes is out of range"),
            ("10:19", "max_resets: \"lots\" is not a rate"),
            ("11:22", "ping_interval: a keep-alive PING more often than once a second"),
            ("12:33", "max_connection_age_grace only applies with max_connection_age"),
        ]
        XCTAssertEqual(lines.count, expected.count, result.stderr)
        for (place, text) in expected {
            XCTAssertTrue(lines.contains { $0.hasPrefix("\(path):\(place): ") && $0.contains(text) }, "\(place) \(text) in:\n\(result.stderr)")
        }
    }
}
