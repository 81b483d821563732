import Dispatch
import XCTest

@testable import PylonGateway

/// `GatewayMetrics`: what is recorded shows up in the Prometheus text exactly, per label
/// set, and every `GatewayMetrics` over one segment (every worker) renders the same totals.
final class GatewayMetricsRenderingTests: XCTestCase {
    private func metrics() throws -> GatewayMetrics {
        GatewayMetrics(sharedMemory: try SharedMemorySegment.anonymous())
    }

    private func text(_ metrics: GatewayMetrics) -> String {
        String(decoding: metrics.render(), as: UTF8.self)
    }

    private func lines(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").map(String.init))
    }

    func testRequestCountersAreExactPerRouteStatusAndUpstream() throws {
        let metrics = try metrics()
        for _ in 0..<5 { metrics.recordRequest(route: "/", upstream: "default", status: 200, durationNanoseconds: 1_000_000) }
        metrics.recordRequest(route: "/login", upstream: "default", status: 403, durationNanoseconds: 100_000)
        metrics.recordRequest(route: "/login", upstream: "default", status: 200, durationNanoseconds: 3_000_000)
        metrics.recordRequest(route: "none", upstream: "none", status: 404, durationNanoseconds: 50_000)
        metrics.recordRequest(route: "/", upstream: "default", status: 999, durationNanoseconds: 1)
        let rendered = lines(text(metrics))
        for expected in [
            #"pylon_requests_total{route="/",status="200",upstream="default"} 5"#,
            #"pylon_requests_total{route="/login",status="403",upstream="default"} 1"#,
            #"pylon_requests_total{route="/login",status="200",upstream="default"} 1"#,
            #"pylon_requests_total{route="none",status="404",upstream="none"} 1"#,
            #"pylon_requests_total{route="/",status="999",upstream="default"} 1"#,
            "# TYPE pylon_requests_total counter",
        ] {
            XCTAssertTrue(rendered.contains(expected), "\(expected) missing from \(rendered.sorted())")
        }
        XCTAssertEqual(rendered.filter { $0.hasPrefix("pylon_requests_total{") }.count, 5, "\(rendered.sorted())")
    }

    func testDurationHistogramCountsEveryRequestInSecondsBucketsByRoute() throws {
        let metrics = try metrics()
        metrics.recordRequest(route: "/", upstream: "u", status: 200, durationNanoseconds: 500_000)         // 0.5 ms
        metrics.recordRequest(route: "/", upstream: "u", status: 200, durationNanoseconds: 3_000_000)       // 3 ms
        metrics.recordRequest(route: "/", upstream: "u", status: 502, durationNanoseconds: 2_000_000_000)   // 2 s
        metrics.recordRequest(route: "/x", upstream: "u", status: 200, durationNanoseconds: 90_000_000_000) // 90 s
        let rendered = text(metrics)
        XCTAssertTrue(lines(rendered).contains("# TYPE pylon_request_duration_seconds histogram"), rendered)
        func value(_ series: String) -> String? { MetricsLine.value(series, rendered) }
        XCTAssertEqual(value(#"pylon_request_duration_seconds_count{route="/"}"#), "3", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/",le="+Inf"}"#), "3", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/",le="0.001"}"#), "1", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/",le="0.0025"}"#), "1", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/",le="0.005"}"#), "2", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/",le="1.0"}"#), "2", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/",le="2.5"}"#), "3", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/",le="60.0"}"#), "3", rendered)
        XCTAssertEqual(Double(value(#"pylon_request_duration_seconds_sum{route="/"}"#) ?? "") ?? -1, 2.0035, accuracy: 1e-9, rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/x",le="60.0"}"#), "0", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_bucket{route="/x",le="+Inf"}"#), "1", rendered)
        XCTAssertEqual(value(#"pylon_request_duration_seconds_count{route="/x"}"#), "1", rendered)
        let buckets = rendered.split(separator: "\n").filter { $0.hasPrefix(#"pylon_request_duration_seconds_bucket{route="/","#) }
        XCTAssertEqual(buckets.count, GatewayMetrics.durationBuckets.count + 1, rendered)
    }

    func testUpstreamErrorsAreCountedPerUpstreamAndKind() throws {
        let metrics = try metrics()
        XCTAssertFalse(text(metrics).contains("pylon_upstream_errors_total{"), "no error series before any error")
        metrics.recordUpstreamError(upstream: "default", kind: "connect")
        metrics.recordUpstreamError(upstream: "default", kind: "connect")
        metrics.recordUpstreamError(upstream: "default", kind: "read_timeout")
        metrics.recordUpstreamError(upstream: "family", kind: "connect")
        let rendered = lines(text(metrics))
        XCTAssertTrue(rendered.contains(#"pylon_upstream_errors_total{kind="connect",upstream="default"} 2"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_upstream_errors_total{kind="read_timeout",upstream="default"} 1"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_upstream_errors_total{kind="connect",upstream="family"} 1"#), "\(rendered.sorted())")
        XCTAssertFalse(rendered.contains { $0.hasPrefix("pylon_requests_total{") }, "errors are not requests")
    }

    func testRateLimitedAndAuthFailuresAreCountedPerRoute() throws {
        let metrics = try metrics()
        metrics.recordRateLimited(route: "/api")
        metrics.recordRateLimited(route: "/api")
        metrics.route("/api", upstream: "u").recordRateLimited()
        metrics.recordAuthFailure(route: "/login", scheme: "basic")
        metrics.recordAuthFailure(route: "/login", scheme: "jwt")
        metrics.recordAuthFailure(route: "/login", scheme: "jwt")
        let rendered = lines(text(metrics))
        XCTAssertTrue(rendered.contains(#"pylon_rate_limited_total{route="/api"} 3"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_auth_failures_total{route="/login",scheme="basic"} 1"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains(#"pylon_auth_failures_total{route="/login",scheme="jwt"} 2"#), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains("# TYPE pylon_rate_limited_total counter"), "\(rendered.sorted())")
        XCTAssertTrue(rendered.contains("# TYPE pylon_auth_failures_total counter"), "\(rendered.sorted())")
    }

    func testEveryGatewayMetricsOverOneSegmentRendersTheSameTotals() throws {
        let segment = try SharedMemorySegment.anonymous()
        let workers = (0..<3).map { _ in GatewayMetrics(sharedMemory: segment) }
        for (index, worker) in workers.enumerated() {
            for _ in 0...index { worker.recordRequest(route: "/", upstream: "u", status: 200, durationNanoseconds: 1) }
            worker.recordUpstreamError(upstream: "u", kind: "connect")
        }
        for worker in workers {
            let rendered = text(worker)
            XCTAssertEqual(MetricsLine.value(#"pylon_requests_total{route="/",status="200",upstream="u"}"#, rendered), "6", rendered)
            XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_count{route="/"}"#, rendered), "6", rendered)
            XCTAssertEqual(MetricsLine.value(#"pylon_upstream_errors_total{kind="connect",upstream="u"}"#, rendered), "3", rendered)
        }
        XCTAssertEqual(text(workers[0]), text(workers[2]))
    }

    func testSeparateSegmentsKeepSeparateCounts() throws {
        let first = try metrics()
        let second = try metrics()
        first.recordRequest(route: "/", upstream: "u", status: 200, durationNanoseconds: 1)
        XCTAssertTrue(text(first).contains(#"pylon_requests_total{route="/",status="200",upstream="u"} 1"#))
        XCTAssertFalse(text(second).contains("pylon_requests_total{"), "another service's segment starts from zero")
    }

    func testGenerationOnlyMovesUpAcrossWorkersOfOldAndNewGenerations() throws {
        let segment = try SharedMemorySegment.anonymous()
        let old = GatewayMetrics(sharedMemory: segment)
        let new = GatewayMetrics(sharedMemory: segment)
        XCTAssertNil(MetricsLine.value("pylon_generation", text(old)), "absent until a worker sets it")
        old.setGeneration(1)
        new.setGeneration(2)
        // A respawned worker of the older generation starts after the new one.
        old.setGeneration(1)
        let rendered = text(old)
        XCTAssertEqual(MetricsLine.value("pylon_generation", rendered), "2", rendered)
        XCTAssertTrue(lines(rendered).contains("# TYPE pylon_generation gauge"), rendered)
    }

    func testGaugesAreSharedAndTheLastValueSetWins() throws {
        let segment = try SharedMemorySegment.anonymous()
        let checker = GatewayMetrics(sharedMemory: segment)
        let scraped = GatewayMetrics(sharedMemory: segment)
        let labels: [(name: String, value: String)] = [("upstream", "default"), ("target", "127.0.0.1:9001")]
        checker.setGauge(name: "pylon_upstream_target_healthy", labels: labels, value: 1)
        let series = #"pylon_upstream_target_healthy{target="127.0.0.1:9001",upstream="default"}"#
        XCTAssertEqual(MetricsLine.value(series, text(scraped)), "1", text(scraped))
        checker.setGauge(name: "pylon_upstream_target_healthy", labels: labels, value: 0)
        XCTAssertEqual(MetricsLine.value(series, text(scraped)), "0", text(scraped))
        checker.setGauge(name: "custom_ratio", labels: [], value: 0.25)
        XCTAssertEqual(MetricsLine.value("custom_ratio", text(scraped)), "0.25", text(scraped))
    }

    func testTheExpositionHasHelpAndTypeOncePerNameAndSortedSeries() throws {
        let metrics = try metrics()
        metrics.recordRequest(route: "/b", upstream: "u", status: 200, durationNanoseconds: 1)
        metrics.recordRequest(route: "/a", upstream: "u", status: 500, durationNanoseconds: 1)
        metrics.recordRequest(route: "/a", upstream: "u", status: 200, durationNanoseconds: 1)
        metrics.setGauge(name: "unknown_to_this_binary", labels: [], value: 7)
        let rendered = text(metrics)
        let all = rendered.split(separator: "\n").map(String.init)
        XCTAssertTrue(rendered.hasSuffix("\n"), rendered)
        XCTAssertEqual(all.filter { $0.hasPrefix("# TYPE pylon_requests_total ") }.count, 1, rendered)
        XCTAssertEqual(all.filter { $0.hasPrefix("# HELP pylon_requests_total ") }.count, 1, rendered)
        let requestLines = all.filter { $0.hasPrefix("pylon_requests_total{") }
        XCTAssertEqual(requestLines, requestLines.sorted(), rendered)
        // HELP, then TYPE, then the samples.
        let help = try XCTUnwrap(all.firstIndex { $0.hasPrefix("# HELP pylon_requests_total ") })
        XCTAssertEqual(all[help + 1], "# TYPE pylon_requests_total counter", rendered)
        XCTAssertTrue(all[help + 2].hasPrefix("pylon_requests_total{"), rendered)
        // A name this binary has no help for still renders, typed.
        XCTAssertTrue(all.contains("# TYPE unknown_to_this_binary gauge"), rendered)
        XCTAssertFalse(all.contains { $0.hasPrefix("# HELP unknown_to_this_binary") }, rendered)
        XCTAssertTrue(all.contains("unknown_to_this_binary 7"), rendered)
        // Every sample line is `series value`, the value a number.
        for line in all where !line.hasPrefix("#") {
            let value = try XCTUnwrap(line.split(separator: " ").last)
            XCTAssertNotNil(Double(value), line)
        }
    }

    func testDroppedSeriesAreReportedFromTheStart() throws {
        let rendered = text(try metrics())
        XCTAssertEqual(MetricsLine.value("pylon_metrics_series_dropped_total", rendered), "0", rendered)
        XCTAssertTrue(lines(rendered).contains("# TYPE pylon_metrics_series_dropped_total counter"), rendered)
    }

    func testConcurrentRecordingLosesNoCounts() throws {
        let metrics = try metrics()
        let routes = [metrics.route("/a", upstream: "u"), metrics.route("/b", upstream: "u")]
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for _ in 0..<5_000 {
                routes[worker % 2].record(status: 200, durationNanoseconds: 1_000)
            }
        }
        let rendered = text(metrics)
        XCTAssertEqual(MetricsLine.value(#"pylon_requests_total{route="/a",status="200",upstream="u"}"#, rendered), "20000", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_requests_total{route="/b",status="200",upstream="u"}"#, rendered), "20000", rendered)
        XCTAssertEqual(MetricsLine.value(#"pylon_request_duration_seconds_count{route="/a"}"#, rendered), "20000", rendered)
    }
}

/// Reads one sample's value from a Prometheus text exposition.
enum MetricsLine {
    static func value(_ series: String, _ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }
}
