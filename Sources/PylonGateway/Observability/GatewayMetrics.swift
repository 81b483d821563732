import CoreMetrics
import NIOConcurrencyHelpers
public import Prometheus

/// The gateway's metrics, recorded through swift-metrics into a Prometheus registry
/// that the metrics listener renders.
///
/// Metric objects are looked up once per label set and cached, so recording a request
/// costs one short lock and an increment, not a registry lookup.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requestCounters = NIOLockedValueBox<[RequestKey: CoreMetrics.Counter]>([:])
    private let errorCounters = NIOLockedValueBox<[ErrorKey: CoreMetrics.Counter]>([:])
    private let durations: CoreMetrics.Timer

    private struct RequestKey: Hashable {
        var route: String
        var status: Int
    }

    private struct ErrorKey: Hashable {
        var upstream: String
        var kind: String
    }

    /// Latency buckets from 1 ms to 60 s: proxied requests are mostly fast, but slow
    /// upstreams are what an operator looks for.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    public init() {
        self.registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
        self.durations = CoreMetrics.Timer(
            label: "pylon_request_duration_seconds", dimensions: [], factory: factory
        )
    }

    /// Counts one finished request and records how long it took.
    public func recordRequest(route: String, status: Int, durationNanoseconds: Int64) {
        let counter = self.requestCounters.withLockedValue { counters in
            let key = RequestKey(route: route, status: status)
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(
                label: "pylon_requests_total",
                dimensions: [("route", route), ("status", String(status))],
                factory: self.factory
            )
            counters[key] = counter
            return counter
        }
        counter.increment()
        self.durations.recordNanoseconds(durationNanoseconds)
    }

    /// Counts a failed exchange with an upstream (`kind`: connect, timeout, closed, protocol).
    public func recordUpstreamError(upstream: String, kind: String) {
        let counter = self.errorCounters.withLockedValue { counters in
            let key = ErrorKey(upstream: upstream, kind: kind)
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(
                label: "pylon_upstream_errors_total",
                dimensions: [("upstream", upstream), ("kind", kind)],
                factory: self.factory
            )
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Sets the `pylon_generation` gauge: which generation of worker processes answered
    /// (set once by a supervised worker; stays absent in a single-process run).
    public func setGeneration(_ generation: Int) {
        CoreMetrics.Gauge(label: "pylon_generation", dimensions: [], factory: self.factory).record(generation)
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> [UInt8] {
        self.registry.emitToBuffer()
    }
}
