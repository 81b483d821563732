import Foundation
import XCTest

/// The metrics listener: exact request counters per route, status and upstream, the
/// duration histogram's count per route, upstream error counters; only the metrics path is served.
final class GatewayMetricsEndpointTests: GatewayTestCase {
    func testRequestCountersAreExactPerRouteStatusAndUpstreamAndHistogramCountsEveryRequest() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - path_prefix: /login
                auth: {header: Authorization, equals_secret: password}
                upstream: b
              - {path_prefix: /api, upstream: b}
              - {path_prefix: /, upstream: b}

            """)

        let okCount = 7
        for index in 0..<okCount {
            XCTAssertEqual(try gateway.request("/page/\(index)").status, 200)
        }
        XCTAssertEqual(try gateway.request("/login").status, 403)
        XCTAssertEqual(try gateway.request("/api/status/503").status, 503)

        try gateway.waitForMetric(#"pylon_request_duration_seconds_count{route="/login"}"#, equals: "1")
        try gateway.waitForMetric(#"pylon_request_duration_seconds_count{route="/api"}"#, equals: "1")
        let text = try gateway.waitForMetric(#"pylon_request_duration_seconds_count{route="/"}"#, equals: "\(okCount)")
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/",status="200",upstream="b"}"#, in: text), "\(okCount)", text)
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/login",status="403",upstream="b"}"#, in: text), "1", text)
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/api",status="503",upstream="b"}"#, in: text), "1", text)
        XCTAssertNil(MetricsText.value(of: #"pylon_requests_total{route="/login",status="200",upstream="b"}"#, in: text), text)
        XCTAssertTrue(text.contains("# TYPE pylon_requests_total counter"), text)
        XCTAssertTrue(text.contains("# TYPE pylon_request_duration_seconds histogram"), text)
        XCTAssertEqual(MetricsText.value(of: #"pylon_request_duration_seconds_bucket{route="/",le="+Inf"}"#, in: text), "\(okCount)", text)

        // Reading /metrics is not itself a gateway request: the counters stay put.
        let again = try gateway.metricsText()
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/",status="200",upstream="b"}"#, in: again), "\(okCount)", again)
        XCTAssertEqual(MetricsText.value(of: #"pylon_request_duration_seconds_count{route="/"}"#, in: again), "\(okCount)", again)

        // One more request moves the counter by exactly one.
        XCTAssertEqual(try gateway.request("/").status, 200)
        try gateway.waitForMetric(#"pylon_requests_total{route="/",status="200",upstream="b"}"#, equals: "\(okCount + 1)")
    }

    func testUnmatchedRequestsAreCountedUnderRouteNone() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /api, upstream: b}

            """)
        XCTAssertEqual(try gateway.request("/nope").status, 404)
        XCTAssertEqual(try gateway.request("/nope/2").status, 404)
        try gateway.waitForMetric(#"pylon_requests_total{route="none",status="404",upstream="none"}"#, equals: "2")
    }

    func testRefusedUpstreamIsCountedAsAConnectError() throws {
        let closedPort = try freePort()  // nothing listens there
        let gateway = try startGatewayUnderTest("""
            upstreams:
              dead: {targets: ["127.0.0.1:\(closedPort)"], retries: 0}
            routes:
              - {path_prefix: /, upstream: dead}

            """)
        let before = try gateway.metricsText()
        XCTAssertNil(MetricsText.value(of: #"pylon_upstream_errors_total{kind="connect",upstream="dead"}"#, in: before), before)

        XCTAssertEqual(try gateway.request("/").status, 502)
        let text = try gateway.waitForMetric(#"pylon_upstream_errors_total{kind="connect",upstream="dead"}"#, equals: "1")
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/",status="502",upstream="dead"}"#, in: text), "1", text)

        XCTAssertEqual(try gateway.request("/again").status, 502)
        try gateway.waitForMetric(#"pylon_upstream_errors_total{kind="connect",upstream="dead"}"#, equals: "2")
    }

    func testRetriesCountEveryFailedConnectAttempt() throws {
        let closedPorts = [try freePort(), try freePort()]
        let gateway = try startGatewayUnderTest("""
            upstreams:
              dead: {targets: ["127.0.0.1:\(closedPorts[0])", "127.0.0.1:\(closedPorts[1])"], retries: 1}
            routes:
              - {path_prefix: /, upstream: dead}

            """)
        XCTAssertEqual(try gateway.request("/").status, 502)
        let text = try gateway.waitForMetric(#"pylon_upstream_errors_total{kind="connect",upstream="dead"}"#, equals: "2")
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/",status="502",upstream="dead"}"#, in: text), "1", text)
    }

    func testOnlyTheMetricsPathIsServedOnTheMetricsPort() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}

            """)
        let metricsURL = "http://127.0.0.1:\(try XCTUnwrap(gateway.metricsPort))"
        let ok = try Curl.run(metricsURL + "/metrics")
        XCTAssertEqual(ok.status, 200)
        XCTAssertTrue(ok.header(named: "Content-Type")?.hasPrefix("text/plain") ?? false, "\(ok)")
        for path in ["/", "/metric", "/metrics/x", "/other"] {
            let result = try Curl.run(metricsURL + path)
            XCTAssertEqual(result.status, 404, "\(path): \(result)")
        }
        XCTAssertEqual(backend.receivedRequests.count, 0, "the metrics listener never proxies")
    }

    func testCustomMetricsPathIsServedAndDefaultPathIs404() throws {
        let backend = try startBackend(name: "b")
        let port = try freePort()
        let metricsPort = try freePort()
        let config = try writeConfig("""
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}
            metrics: {address: "127.0.0.1:\(metricsPort)", path: /internal/prom}
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}

            """)
        let pylon = try startPylon(["run", "-c", config, "--single-process"])
        try pylon.waitUntilAccepting(port: metricsPort)
        XCTAssertEqual(try Curl.run("http://127.0.0.1:\(metricsPort)/internal/prom").status, 200)
        XCTAssertEqual(try Curl.run("http://127.0.0.1:\(metricsPort)/metrics").status, 404)
    }
}
