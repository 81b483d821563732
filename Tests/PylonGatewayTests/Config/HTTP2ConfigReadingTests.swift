import NIOCore
import PylonProxy
import XCTest

@testable import PylonGateway

/// A TLS listener's `http2` section: every key read into the model and on to the proxy,
/// defaults equal to what the server always used, and every value outside RFC 9113's ranges
/// (or meaningless without another key) reported at its own line and column.
final class HTTP2ConfigReadingTests: XCTestCase {
    private var files: TLSTestFiles!

    override func setUpWithError() throws {
        files = try TLSTestFiles()
        try files.selfSigned("a", dnsNames: ["a.test"])
    }

    override func tearDown() {
        files?.remove()
        super.tearDown()
    }

    /// A TLS listener whose `http2` mapping holds `lines` (each `key: value`), from line 6 on,
    /// each key at column 7.
    private func config(_ lines: [String]) -> String {
        """
        listeners:
          - name: https
            address: "127.0.0.1:6443"
            tls: {certificates: [{cert: a.pem, key: a.key}]}
            http2:
        \(lines.map { "      " + $0 }.joined(separator: "\n"))
        upstreams:
          default: {targets: ["127.0.0.1:9001"]}
        routes:
          - {path_prefix: /, upstream: default}

        """
    }

    private func load(_ yaml: String) throws(ConfigError) -> GatewayConfig {
        try ConfigLoader.parse(yaml: yaml, file: files.configPath)
    }

    private func problems(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
        do {
            let config = try load(yaml)
            XCTFail("expected the config to be rejected, but it loaded: \(config)", file: file, line: line)
            return []
        } catch {
            return error.problems
        }
    }

    /// Asserts that `key: value` alone is rejected with `text`, at the value (line 6).
    private func assertRejected(_ key: String, _ value: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let found = problems(config(["\(key): \(value)"]), file: file, line: line)
        XCTAssertEqual(found.count, 1, "\(found)", file: file, line: line)
        assertConfigProblem(found, at: 6, 7 + key.count + 2, contains: text, file: file, line: line)
        XCTAssertTrue(found.first?.message.hasPrefix("listeners[0].http2.\(key): ") == true, "\(found)", file: file, line: line)
    }

    func testEveryKeyIsReadAndReachesTheProxy() throws {
        let config = try load(config([
            "enabled: true",
            "max_concurrent_streams: 250",
            "initial_stream_window: 1MiB",
            "connection_window: 16MiB",
            "max_header_list_size: 64KiB",
            "max_frame_size: 64KiB",
            "max_resets: 1000/10s",
            "max_stream_errors: 50/s",
            "max_control_frames: 500/1m",
            "max_glitches: 1000",
            "ping_interval: 30s",
            "ping_timeout: 10s",
            "max_connection_age: 30m",
            "max_connection_age_grace: 1m",
        ]))
        let http2 = try XCTUnwrap(config.listeners.first?.http2)
        XCTAssertEqual(
            http2,
            HTTP2Config(
                enabled: true, maxConcurrentStreams: 250, initialStreamWindow: 1 << 20, connectionWindow: 16 << 20,
                maxHeaderListSize: 64 << 10, maxFrameSize: 64 << 10,
                maxResets: .init(count: 1000, per: .seconds(10)), maxStreamErrors: .init(count: 50, per: .seconds(1)),
                maxControlFrames: .init(count: 500, per: .seconds(60)), maxGlitches: 1000,
                pingInterval: .seconds(30), pingTimeout: .seconds(10),
                maxConnectionAge: .seconds(1800), maxConnectionAgeGrace: .seconds(60)
            )
        )

        let proxy = HTTP2ServerConfiguration(http2)
        XCTAssertEqual(proxy.maxConcurrentStreams, 250)
        XCTAssertEqual(proxy.initialStreamWindow, 1 << 20)
        XCTAssertEqual(proxy.connectionWindow, 16 << 20)
        XCTAssertEqual(proxy.maxHeaderListSize, 64 << 10)
        XCTAssertEqual(proxy.maxFrameSize, 64 << 10)
        XCTAssertEqual(proxy.streamResetLimit, .init(count: 1000, window: .seconds(10)))
        XCTAssertEqual(proxy.streamErrorLimit, .init(count: 50, window: .seconds(1)))
        XCTAssertEqual(proxy.controlFrameLimit, .init(count: 500, window: .seconds(60)))
        XCTAssertEqual(proxy.maxGlitches, 1000)
        XCTAssertEqual(proxy.keepAlive, .init(interval: .seconds(30), timeout: .seconds(10)))
        XCTAssertEqual(proxy.maxConnectionAge, .minutes(30))
        XCTAssertEqual(proxy.maxConnectionAgeGrace, .minutes(1))
    }

    func testWithoutASectionTheServersLongStandingValuesApply() throws {
        let yaml = """
            listeners:
              - {name: https, address: "127.0.0.1:6443", tls: {certificates: [{cert: a.pem, key: a.key}]}}
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - {path_prefix: /, upstream: default}

            """
        let http2 = try XCTUnwrap(try load(yaml).listeners.first?.http2)
        XCTAssertEqual(http2, HTTP2Config())
        XCTAssertEqual(HTTP2ServerConfiguration(http2), HTTP2ServerConfiguration())
        let proxy = HTTP2ServerConfiguration()
        XCTAssertTrue(proxy.enabled)
        XCTAssertEqual(proxy.maxConcurrentStreams, 100)
        XCTAssertEqual(proxy.initialStreamWindow, 256 << 10)
        XCTAssertEqual(proxy.connectionWindow, 1 << 20)
        XCTAssertNil(proxy.maxHeaderListSize, "derived from the HTTP/1 limits")
        XCTAssertEqual(proxy.maxFrameSize, 16_384)
        XCTAssertEqual(proxy.streamResetLimit, .init(count: 200, window: .seconds(30)))
        XCTAssertNil(proxy.keepAlive)
        XCTAssertNil(proxy.maxConnectionAge)
        XCTAssertNil(proxy.maxConnectionAgeGrace)
    }

    func testEnabledFalseTurnsHTTP2Off() throws {
        let config = try load(config(["enabled: false"]))
        XCTAssertEqual(config.listeners.first?.http2.enabled, false)
        XCTAssertEqual(HTTP2ServerConfiguration(try XCTUnwrap(config.listeners.first?.http2)).enabled, false)
    }

    func testStreamLimitsOutsideTheirRangeAreReportedAtTheValue() {
        assertRejected("max_concurrent_streams", "0", "0 streams would refuse every request; to serve this listener over HTTP/1.1 only, write enabled: false")
        assertRejected("max_concurrent_streams", "4294967296", "4294967296 is out of range; expected a whole number from 1 to 4294967295")
        assertRejected("max_concurrent_streams", "many", "expected a whole number")
        assertRejected("max_glitches", "0", "0 is out of range")
    }

    func testWindowsOutsideRFC9113AreReportedAtTheValue() {
        assertRejected("initial_stream_window", "2GiB", "2147483648 bytes is out of range: a stream window is at most 2147483647 bytes")
        assertRejected("initial_stream_window", "0", "a size of zero is not allowed here")
        assertRejected("connection_window", "32KiB", "32768 bytes is out of range: the connection window starts at 65535 bytes and can only grow")
        assertRejected("connection_window", "3GiB", "3221225472 bytes is out of range")
        assertRejected("initial_stream_window", "lots", "\"lots\" is not a size")
    }

    func testFrameAndHeaderListSizesOutsideRFC9113AreReportedAtTheValue() {
        assertRejected("max_frame_size", "8KiB", "8192 bytes is out of range: RFC 9113 §6.5.2 allows 16384 (16KiB) to 16777215")
        assertRejected("max_frame_size", "16MiB", "16777216 bytes is out of range")
        assertRejected("max_header_list_size", "5GiB", "5368709120 bytes is out of range: a SETTINGS value is at most 4294967295")
        assertRejected("max_header_list_size", "0", "a size of zero is not allowed here")
    }

    func testAbuseLimitsMustBeCountsPerWindow() {
        assertRejected("max_resets", "200", "\"200\" is not a rate; write a count, a slash and a time window, e.g. 200/30s")
        assertRejected("max_resets", "0/30s", "a count of zero would close a connection at the first such frame")
        assertRejected("max_stream_errors", "10/0s", "has a window of zero")
        assertRejected("max_control_frames", "100/30", "\"30\" needs a unit")
        assertRejected("max_control_frames", "1.5/s", "does not start with a whole number")
        assertRejected("max_stream_errors", "-1/s", "must not be negative")
    }

    func testKeepAliveAndAgeValuesAreChecked() {
        assertRejected("ping_interval", "500ms", "more often than once a second looks like a PING flood")
        assertRejected("max_connection_age", "1 day", "unknown duration unit")
        assertRejected("enabled", "maybe", "expected true or false")
    }

    func testAZeroPingTimeoutIsReportedAtTheValue() {
        let found = problems(config(["ping_interval: 10s", "ping_timeout: 0s"]))
        XCTAssertEqual(found.count, 1, "\(found)")
        assertConfigProblem(found, at: 7, 21, contains: "a duration of zero is not allowed here")
    }

    func testTimeoutsWithoutWhatTheyQualifyAreReported() {
        assertRejected("ping_timeout", "5s", "ping_timeout only applies to keep-alive PINGs; set ping_interval too")
        assertRejected("max_connection_age_grace", "30s", "max_connection_age_grace only applies with max_connection_age")
    }

    func testAnUnknownKeyIsReportedWithASuggestion() {
        let found = problems(config(["max_concurent_streams: 10"]))
        assertConfigProblem(found, at: 6, 7, contains: "unknown key \"max_concurent_streams\" (did you mean \"max_concurrent_streams\"?)")
    }

    func testHTTP2OnAPlainListenerIsReportedAtTheSection() {
        let found = problems("""
            listeners:
              - name: http
                address: "127.0.0.1:6191"
                http2: {max_concurrent_streams: 10}
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - {path_prefix: /, upstream: default}

            """)
        XCTAssertEqual(found.count, 1, "\(found)")
        assertConfigProblem(found, at: 4, 12, contains: "HTTP/2 is offered only on TLS listeners, where clients choose it through ALPN")
    }

    func testEventRatesReadAsCountPerWindow() throws {
        XCTAssertEqual(try EventRateSyntax.parse("200/30s"), .init(count: 200, per: .seconds(30)))
        XCTAssertEqual(try EventRateSyntax.parse("100/s"), .init(count: 100, per: .seconds(1)))
        XCTAssertEqual(try EventRateSyntax.parse("1000 / 2m"), .init(count: 1000, per: .seconds(120)))
        XCTAssertEqual(try EventRateSyntax.parse("5/250ms"), .init(count: 5, per: .milliseconds(250)))
        XCTAssertThrowsError(try EventRateSyntax.parse("200/"))
        XCTAssertThrowsError(try EventRateSyntax.parse("/30s"))
    }
}
