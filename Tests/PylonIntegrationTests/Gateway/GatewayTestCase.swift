import Foundation
import Glibc
import XCTest

/// A `pylon run` started by a gateway test, listening on loopback ports of its own.
struct GatewayUnderTest {
    let process: PylonProcess
    let configPath: String
    /// The gateway listener's port on 127.0.0.1.
    let port: Int
    /// The metrics listener's port on 127.0.0.1, nil when the config has none.
    let metricsPort: Int?

    var url: String { "http://127.0.0.1:\(port)" }

    /// One request through the gateway with the real curl.
    func request(
        _ path: String, method: String? = nil, headers: [(String, String)] = [], maxTime: Double = 10
    ) throws -> CurlResult {
        try Curl.run(url + path, method: method, headers: headers, maxTime: maxTime)
    }

    /// The `/metrics` text; fails the test when the endpoint does not answer 200.
    func metricsText(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let port = try XCTUnwrap(metricsPort, "this gateway was started without a metrics listener", file: file, line: line)
        let result = try Curl.run("http://127.0.0.1:\(port)/metrics")
        XCTAssertEqual(result.status, 200, "\(result)", file: file, line: line)
        return result.bodyText
    }

    /// Polls `/metrics` until `series` (e.g. `pylon_requests_total{route="/",status="200",upstream="b"}`)
    /// has exactly `value`, and returns the last text seen. Metrics are recorded when a
    /// request's log record is emitted, which may be a moment after the client got the
    /// response, so a single read could race.
    @discardableResult
    func waitForMetric(_ series: String, equals value: String, timeout: Double = 3, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var text = ""
        let seen = try waitUntil(timeout: timeout, pollInterval: 0.05) {
            text = try metricsText(file: file, line: line)
            return MetricsText.value(of: series, in: text) == value
        }
        XCTAssertTrue(
            seen,
            "expected \(series) \(value), got \(MetricsText.value(of: series, in: text) ?? "no such series"); metrics:\n\(text)",
            file: file, line: line
        )
        return text
    }

    /// The access-log lines written so far (stdout), without the trailing empty line.
    func accessLogLines() -> [String] {
        process.stdoutText().split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Waits until stdout holds at least `count` lines, then a little longer to catch any extra
    /// line (the access log is written in batches every 20 ms), and returns them all.
    func waitForAccessLogLines(_ count: Int, timeout: Double = 3) -> [String] {
        waitUntil(timeout: timeout, pollInterval: 0.02) { accessLogLines().count >= count }
        Thread.sleep(forTimeInterval: 0.15)
        return accessLogLines()
    }
}

/// Reads values out of a Prometheus text exposition.
enum MetricsText {
    /// The value of the sample whose name-and-labels part is exactly `series`.
    static func value(of series: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return String(line.dropFirst(series.count + 1))
        }
        return nil
    }
}

/// Base class of the gateway integration tests: starts `pylon run` on a config whose
/// listeners are free loopback ports, with the test's own upstreams and routes.
class GatewayTestCase: IntegrationTestCase {
    /// Starts `pylon run` with `body` (upstreams, routes, header rules, ...) below a generated
    /// `listeners:` (and `metrics:`) section, and waits until every listener accepts.
    func startGatewayUnderTest(_ body: String, metrics: Bool = true, arguments: [String] = []) throws -> GatewayUnderTest {
        let port = try freePort()
        let metricsPort = metrics ? try freePort() : nil
        var yaml = """
            listeners:
              - name: http
                address: "127.0.0.1:\(port)"

            """
        if let metricsPort {
            yaml += """
                metrics:
                  address: "127.0.0.1:\(metricsPort)"

                """
        }
        yaml += body
        let configPath = try writeConfig(yaml)
        let process = try startPylon(["run", "-c", configPath, "--single-process"] + arguments)
        try process.waitUntilAccepting(port: port)
        if let metricsPort { try process.waitUntilAccepting(port: metricsPort) }
        return GatewayUnderTest(process: process, configPath: configPath, port: port, metricsPort: metricsPort)
    }

    /// Runs pylon to completion (for `check`, `version`, `--help`, a `run` that must fail).
    func runPylonToExit(_ arguments: [String], timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) throws -> (code: Int32?, stdout: String, stderr: String) {
        let process = try startPylon(arguments)
        let code = process.waitForExit(timeout: timeout)
        XCTAssertNotNil(code, "pylon \(arguments.joined(separator: " ")) still running after \(timeout) s", file: file, line: line)
        return (code, process.stdoutText(), process.stderrText())
    }

    /// Starts `/usr/bin/curl` as a background process (for requests in flight while a test
    /// signals pylon). Its stdout holds the body followed by a last line with the status.
    func startBackgroundCurl(_ url: String, maxTime: Double = 10) throws -> PylonProcess {
        try startProcess(
            executable: Curl.executable,
            arguments: ["-q", "-s", "-S", "--noproxy", "*", "--max-time", String(maxTime), "-w", "\n%{http_code}", url],
            label: "curl"
        )
    }

    /// Whether nothing can currently connect to 127.0.0.1:`port`.
    func isRefusingConnections(port: Int) -> Bool {
        guard let socket = try? LoopbackSocket(connectingTo: port, timeout: 1) else { return true }
        socket.close()
        return false
    }
}

/// Binds a TCP socket to check that a fixed port is free (for `pylon demo`, whose ports are
/// fixed). A port in TIME_WAIT counts as free: pylon binds with SO_REUSEADDR too.
enum FixedPortProbe {
    static func isFree(port: Int, host: String = "127.0.0.1") -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return bound == 0
    }
}
