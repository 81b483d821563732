import Dispatch
import XCTest

@testable import PylonGateway

/// `GatewayMetrics`: what is recorded shows up in the Prometheus text exactly, per label set.
final class GatewayMetricsRenderingTests: XCTestCase {
    private func text(_ metrics: GatewayMetrics) -> String {
        String(decoding: metrics.render(), as: UTF8.self)
    }

    private func lines(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").map(String.init))
    }

    func testRequestCountersAreExactPerRouteAndStatus() {
        let metrics = GatewayMetrics()
        for _ in 0..<5 { metrics.recordRequest(route: "/", status: 200, durationNanoseconds: 1_000_000) }
        metrics.recordRequest(route: "/login", status: 403, durationNanoseconds: 100_000)
        metrics.recordRequest(route: "/login", status: 200, durationNanoseconds: 3_000_000)
        metrics.recordRequest(route: "none", status: 404, durationNanoseconds: 50_000)
        let rendered = lines(text(metrics))
        XCTAssertTrue(rendered.contains(#"pylon_requests_total{route="/",status="200"} 5"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_requests_total{route="/login",status="403"} 1"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_requests_total{route="/login",status="200"} 1"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_requests_total{route="none",status="404"} 1"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains("# TYPE pylon_requests_total counter"), "\(rendered.sorted())")
        XCTAssertEqual(rendered.filter { $0.hasPrefix("pylon_requests_total{") }.count, 4, "\(rendered.sorted())")
    }

    func testDurationHistogramCountsEveryRequestInSecondsBuckets() {
        let metrics = GatewayMetrics()
        metrics.recordRequest(route: "/", status: 200, durationNanoseconds: 500_000)       // 0.5 ms
        metrics.recordRequest(route: "/", status: 200, durationNanoseconds: 3_000_000)     // 3 ms
        metrics.recordRequest(route: "/x", status: 502, durationNanoseconds: 2_000_000_000) // 2 s
        let rendered = text(metrics)
        let all = lines(rendered)
        XCTAssertTrue(all.contains("# TYPE pylon_request_duration_seconds histogram"), rendered)
        XCTAssertEqual(MetricsLine.value("pylon_request_duration_seconds_count", rendered), "3", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_bucket{le="+Inf"}"#, rendered), "3", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_bucket{le="0.001"}"#, rendered), "1", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_bucket{le="0.005"}"#, rendered), "2", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_bucket{le="1.0"}"#, rendered), "2", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_bucket{le="2.5"}"#, rendered), "3", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_bucket{le="60.0"}"#, rendered), "3", rendered)
        let sum = Double(MetricsLine.value("pylon_request_duration_seconds_sum", rendered) ?? "") ?? -1
        XCTAssertEqual(sum, 2.0035, accuracy: 1e-6, rendered)
    }

    func testUpstreamErrorsAreCountedPerUpstreamAndKind() {
        let metrics = GatewayMetrics()
        XCTAssertFalse(text(metrics).contains("pylon_upstream_errors_total{"), "no error series before any error")
        metrics.recordUpstreamError(upstream: "default", kind: "connect")
        metrics.recordUpstreamError(upstream: "default", kind: "connect")
        metrics.recordUpstreamError(upstream: "default", kind: "read_timeout")
        metrics.recordUpstreamError(upstream: "family", kind: "connect")
        let rendered = lines(text(metrics))
        XCTAssertTrue(rendered.contains(#"pylon_upstream_errors_total{upstream="default",kind="connect"} 2"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_upstream_errors_total{upstream="default",kind="read_timeout"} 1"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_upstream_errors_total{upstream="family",kind="connect"} 1"#), "\(rendered.sorted())")
        XCTAssertFalse(rendered.contains { $0.hasPrefix("pylon_requests_total{") }, "errors are not requests")
    }

    func testEachGatewayMetricsHasItsOwnRegistry() {
        let first = GatewayMetrics()
        let second = GatewayMetrics()
        first.recordRequest(route: "/", status: 200, durationNanoseconds: 1)
        XCTAssertTrue(text(first).contains(#"pylon_requests_total{route="/",status="200"} 1"#))
        XCTAssertFalse(text(second).contains("pylon_requests_total{"), "a second instance (a reload) starts from zero")
    }

    func testConcurrentRecordingLosesNoCounts() {
        let metrics = GatewayMetrics()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for _ in 0..<500 {
                metrics.recordRequest(route: worker % 2 == 0 ? "/a" : "/b", status: 200, durationNanoseconds: 1_000)
            }
        }
        let rendered = text(metrics)
        XCTAssertEqual(MetricsLine.value(#"pylon_requests_total{route="/a",status="200"}"#, rendered), "2000", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_requests_total{route="/b",status="200"}"#, rendered), "2000", rendered)
        XCTAssertEqual(MetricsLine.value("pylon_request_duration_seconds_count", rendered), "4000", rendered)
    }
}

/// Reads one sample's value from a Prometheus text exposition.
enum MetricsLine {
    static func value(_ series: String, _ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }
}
