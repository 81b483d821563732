import Foundation
import XCTest

/// `examples/capstone.yaml` as the README shows it: `pylon demo -c` runs it with built-in
/// backends, and every policy it promises holds over real HTTP and HTTPS. The example's
/// fixed ports are swapped for free ones in a copy, so the test never collides.
final class CapstoneExampleTests: GatewayTestCase {
    private struct RunningCapstone {
        let demo: PylonProcess
        let http: String
        let https: String
        let metricsPort: Int
        let certificate: String
    }

    /// Copies the example and its certificate next to each other with fresh ports, and
    /// starts `pylon demo -c` on the copy.
    private func startCapstone() throws -> RunningCapstone {
        let examples = PylonBinary.packageRoot().appendingPathComponent("examples")
        var yaml = try String(contentsOf: examples.appendingPathComponent("capstone.yaml"), encoding: .utf8)
        let ports = ["6191", "6443", "6192", "9001", "9002", "9003"]
        var replacements: [String: Int] = [:]
        for port in ports {
            let free = try freePort()
            replacements[port] = free
            yaml = yaml.replacingOccurrences(of: ":\(port)\"", with: ":\(free)\"")
        }
        let directory = try testDirectory()
        let tls = directory + "/tls"
        try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)
        for file in ["localhost.pem", "localhost.key"] {
            try FileManager.default.copyItem(
                atPath: examples.appendingPathComponent("tls/\(file)").path, toPath: "\(tls)/\(file)"
            )
        }
        let config = try writeConfig(yaml, named: "capstone.yaml")
        let demo = try startPylon(["demo", "-c", config])
        try demo.waitForLog(containing: "Ctrl-C stops the demo.")
        return RunningCapstone(
            demo: demo,
            http: "http://127.0.0.1:\(replacements["6191"]!)",
            https: "https://localhost:\(replacements["6443"]!)",
            metricsPort: replacements["6192"]!,
            certificate: "\(tls)/localhost.pem"
        )
    }

    func testTheExamplePassesCheck() throws {
        let example = PylonBinary.packageRoot().appendingPathComponent("examples/capstone.yaml").path
        let result = try runPylonToExit(["check", "-c", example])
        XCTAssertEqual(result.code, 0, "\(result)")
        XCTAssertEqual(result.stdout, "ok\n")
    }

    func testKeyedRequestsOverHTTPSGoRoundRobinWithTheHeaderRules() throws {
        let capstone = try startCapstone()
        var backends: [String] = []
        for _ in 0..<6 {
            let response = try Curl.run(
                capstone.https + "/orders", headers: [("X-API-Key", "demo-key-alice")],
                extraArguments: ["--cacert", capstone.certificate]
            )
            XCTAssertEqual(response.status, 200, "\(response)")
            XCTAssertEqual(response.headers(named: "Server"), ["Gateway"])
            XCTAssertEqual(response.headers(named: "X-Proxy"), ["pylon"])
            XCTAssertEqual(response.headers(named: "X-Powered-By"), [], "the backends send it; the rules remove it")
            XCTAssertNotNil(response.header(named: "X-Request-Id"))
            XCTAssertEqual(response.header(named: "RateLimit-Policy"), #""default";q=20;w=2"#)
            backends.append(response.header(named: "X-Backend") ?? "?")
        }
        XCTAssertEqual(backends, ["backends-1", "backends-2", "backends-3", "backends-1", "backends-2", "backends-3"])
    }

    func testAnUnkeyedRequestIs401ExceptOnTheOpenRoute() throws {
        let capstone = try startCapstone()
        let refused = try Curl.run(capstone.http + "/orders")
        XCTAssertEqual(refused.status, 401, "\(refused)")
        XCTAssertEqual(refused.header(named: "WWW-Authenticate"), #"APIKey header="X-API-Key""#)
        XCTAssertEqual(refused.headers(named: "Server"), ["Gateway"], "the gateway's own pages get the rules too")
        let wrongKey = try Curl.run(capstone.http + "/orders", headers: [("X-API-Key", "demo-key-mallory")])
        XCTAssertEqual(wrongKey.status, 401)
        let open = try Curl.run(capstone.http + "/status")
        XCTAssertEqual(open.status, 200, "\(open)")
        try waitForMetric(
            #"pylon_auth_failures_total{route="/",scheme="api_key"}"#, equals: "2", port: capstone.metricsPort
        )
    }

    func testAClientGetsTheBurstOfTwentyThen429WithRetryAfter() throws {
        let capstone = try startCapstone()
        var statuses: [Int] = []
        var refusal: CurlResult?
        // Far faster than 10/s: the burst of 20 (plus at most a refill or two) is allowed.
        for _ in 0..<30 {
            let response = try Curl.run(capstone.http + "/status")
            statuses.append(response.status)
            if response.status == 429, refusal == nil { refusal = response }
        }
        let allowed = statuses.filter { $0 == 200 }.count
        XCTAssertGreaterThanOrEqual(allowed, 20, "\(statuses)")
        XCTAssertLessThan(allowed, 30, "\(statuses)")
        let retryAfter = try XCTUnwrap(refusal?.header(named: "Retry-After"), "\(statuses)")
        XCTAssertGreaterThanOrEqual(Int(retryAfter) ?? 0, 1)
    }

    func testEveryBackendShowsHealthyInTheMetrics() throws {
        let capstone = try startCapstone()
        let text = try waitForMetricText(port: capstone.metricsPort) {
            $0.components(separatedBy: "pylon_upstream_target_healthy{").count - 1 == 3
        }
        for line in text.split(separator: "\n") where line.hasPrefix("pylon_upstream_target_healthy{") {
            XCTAssertTrue(line.hasSuffix(" 1"), "\(line)")
        }
    }

    // MARK: Metrics on the copy's port

    private func metrics(port: Int) throws -> String {
        try Curl.run("http://127.0.0.1:\(port)/metrics").bodyText
    }

    private func waitForMetric(_ series: String, equals value: String, port: Int) throws {
        _ = try self.waitForMetricText(port: port) { MetricsText.value(of: series, in: $0) == value }
    }

    private func waitForMetricText(port: Int, until condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(5)
        var text = ""
        repeat {
            text = try self.metrics(port: port)
            if condition(text) { return text }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        XCTFail("the metrics never showed what was expected:\n\(text)")
        return text
    }
}
