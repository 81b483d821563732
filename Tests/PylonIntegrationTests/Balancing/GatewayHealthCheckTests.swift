import Foundation
import XCTest

/// Active and passive health checks through the real binary (single process): dead targets
/// leave the rotation within the thresholds and come back, no healthy target is a 503, and
/// /metrics shows each target's state.
final class GatewayHealthCheckTests: GatewayTestCase {
    private func healthy(_ gateway: GatewayUnderTest, upstream: String, target: String) throws -> String? {
        MetricsText.value(of: #"pylon_upstream_target_healthy{upstream="\#(upstream)",target="\#(target)"}"#, in: try gateway.metricsText())
    }

    /// Seconds until `condition` holds (polled every 20 ms), nil if not within `timeout`.
    private func secondsUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Double? {
        let start = Date()
        return try waitUntil(timeout: timeout, pollInterval: 0.02, condition) ? Date().timeIntervalSince(start) : nil
    }

    func testAKilledTargetLeavesWithinFallIntervalsAndReturnsWithinRiseIntervalsAfterARestart() throws {
        let a = try startHealthCheckedBackend(name: "a")
        var b = try startHealthCheckedBackend(name: "b")
        // No retries: a request sent to a dead target would fail, so every 200 proves the pick.
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api:
                targets: ["\(a.address)", "\(b.address)"]
                retries: 0
                health_check: {tcp: {interval: 200ms, timeout: 200ms, rise: 2, fall: 3}}
            routes:
              - {path_prefix: /, upstream: api}

            """)
        XCTAssertEqual(try healthy(gateway, upstream: "api", target: b.address), "1")
        let both = try (0..<4).map { _ in try gateway.request("/").bodyText }
        XCTAssertEqual(Set(both), ["a\n", "b\n"])

        b.kill()
        // fall × interval = 600 ms; the slack covers the probe in flight and scheduling.
        let down = try secondsUntil(timeout: 5) { try healthy(gateway, upstream: "api", target: b.address) == "0" }
        XCTAssertNotNil(down, "b never marked down")
        XCTAssertLessThan(down ?? 99, 0.6 + 1.0)
        try gateway.process.waitForLog(containing: "target down")
        for _ in 0..<20 {
            let result = try gateway.request("/")
            XCTAssertEqual(result.status, 200, "\(result)")
            XCTAssertEqual(result.bodyText, "a\n")
        }

        b = try startHealthCheckedBackend(name: "b", port: b.port)
        // rise × interval = 400 ms.
        let up = try secondsUntil(timeout: 5) { try healthy(gateway, upstream: "api", target: b.address) == "1" }
        XCTAssertNotNil(up, "b never brought back")
        XCTAssertLessThan(up ?? 99, 0.4 + 1.0)
        try gateway.process.waitForLog(containing: "target up")
        let again = try (0..<4).map { _ in try gateway.request("/") }
        XCTAssertEqual(again.map(\.status), [200, 200, 200, 200])
        XCTAssertEqual(Set(again.map(\.bodyText)), ["a\n", "b\n"], "b serves again")
    }

    func testNoHealthyTargetIsA503ThatSaysSoAndIsLogged() throws {
        let deadPorts = [try freePort(), try freePort()]
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api:
                targets: ["127.0.0.1:\(deadPorts[0])", "127.0.0.1:\(deadPorts[1])"]
                health_check: {tcp: {interval: 100ms, timeout: 100ms, fall: 1}}
            routes:
              - {path_prefix: /, upstream: api}

            """)
        XCTAssertTrue(try waitUntil(timeout: 5, pollInterval: 0.05) {
            try deadPorts.allSatisfy { try healthy(gateway, upstream: "api", target: "127.0.0.1:\($0)") == "0" }
        })
        let result = try gateway.request("/anything")
        XCTAssertEqual(result.status, 503)
        XCTAssertEqual(result.bodyText, "no healthy target in upstream api\n")
        try gateway.process.waitForLog(containing: "no healthy target; answering 503")
        try gateway.waitForMetric(#"pylon_requests_total{route="/",status="503",upstream="api"}"#, equals: "1")
        XCTAssertNil(
            MetricsText.value(of: #"pylon_upstream_errors_total{kind="connect",upstream="api"}"#, in: try gateway.metricsText()),
            "a 503 for no healthy target never tries to connect"
        )
    }

    func testAnHTTPCheckAnsweredWithAnotherStatusMarksTheTargetDown() throws {
        let backend = try startBackend(name: "web")
        // The same backend answers /status/204 to both checks; only one expects 204.
        let gateway = try startGatewayUnderTest("""
            upstreams:
              good:
                targets: ["\(backend.address)"]
                health_check: {http: {path: /status/204, expect_status: 204, interval: 100ms, rise: 1, fall: 1}}
              bad:
                targets: ["\(backend.address)"]
                health_check: {http: {path: /status/204, expect_status: 200, interval: 100ms, rise: 1, fall: 1}}
            routes:
              - {path_prefix: /good, upstream: good}
              - {path_prefix: /bad, upstream: bad}

            """)
        XCTAssertTrue(try waitUntil(timeout: 5, pollInterval: 0.05) { try healthy(gateway, upstream: "bad", target: backend.address) == "0" })
        XCTAssertEqual(try healthy(gateway, upstream: "good", target: backend.address), "1")
        XCTAssertEqual(try gateway.request("/good").status, 200)
        let refused = try gateway.request("/bad")
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(refused.bodyText, "no healthy target in upstream bad\n")
        try gateway.process.waitForLog(containing: "status 204, expected 200")
        let probes = backend.receivedRequests.filter { $0.uri == "/status/204" }
        XCTAssertGreaterThan(probes.count, 1)
        XCTAssertEqual(probes.first?.headers.first(name: "User-Agent"), "pylon-health-check")
    }

    func testConsecutiveConnectFailuresEjectATargetForTheCooldown() throws {
        let live = try startBackend(name: "live")
        let deadPort = try freePort()
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api:
                targets: ["127.0.0.1:\(deadPort)", "\(live.address)"]
                retries: 1
                passive: {failures: 1, cooldown: 60s}
            routes:
              - {path_prefix: /, upstream: api}

            """)
        for _ in 0..<10 {
            let result = try gateway.request("/")
            XCTAssertEqual(result.status, 200, "\(result)")
            XCTAssertEqual(result.bodyText, "live\n")
        }
        // Only the first request tried the dead target; the failure ejected it.
        let text = try gateway.waitForMetric(#"pylon_upstream_errors_total{kind="connect",upstream="api"}"#, equals: "1")
        XCTAssertEqual(MetricsText.value(of: #"pylon_upstream_target_healthy{upstream="api",target="127.0.0.1:\#(deadPort)"}"#, in: text), "0")
        try gateway.process.waitForLog(containing: "target ejected after consecutive failures")
    }
}
