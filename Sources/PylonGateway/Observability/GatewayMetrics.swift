import NIOConcurrencyHelpers

/// The gateway's metrics, kept in the service's shared memory (`SharedMetricsTable` over
/// the segment's metrics region) and rendered as Prometheus text by whichever worker
/// answers `/metrics`. Every worker of every generation sharing the segment adds to the
/// same counters, so a scrape shows service-wide totals, and they never go backwards when
/// a worker is restarted or the service is upgraded.
///
/// Per-request series are recorded through `RouteMetrics` handles (no lock); the rest go
/// through a small per-process cache of slots.
public final class GatewayMetrics: Sendable {
    /// The metric names, in one place.
    enum Name {
        static let requests = "pylon_requests_total"
        static let requestDuration = "pylon_request_duration_seconds"
        static let upstreamErrors = "pylon_upstream_errors_total"
        static let rateLimited = "pylon_rate_limited_total"
        static let authFailures = "pylon_auth_failures_total"
        static let generation = "pylon_generation"
        static let upstreamTargetHealthy = "pylon_upstream_target_healthy"
        static let seriesDropped = "pylon_metrics_series_dropped_total"
    }

    /// `# HELP` for every metric this binary records. A series from another binary whose
    /// name is missing here is still rendered, without a HELP line.
    static let help: [String: String] = [
        Name.requests: "Requests answered, by route, status and the route's upstream (none when no route matched).",
        Name.requestDuration: "Time from a complete request head to the last response byte, by route.",
        Name.upstreamErrors: "Failed exchanges with upstream targets, by upstream and kind.",
        Name.rateLimited: "Requests refused by the rate limit, by route.",
        Name.authFailures: "Requests refused by authentication, by route and scheme.",
        Name.generation: "The newest generation of worker processes serving (1 at start, one more per upgrade).",
        Name.upstreamTargetHealthy: "1 while the upstream target passes its health checks, else 0.",
        Name.seriesDropped: "Metric series not recorded because the shared metrics table was full.",
    ]

    /// Latency buckets from 1 ms to 60 s: proxied requests are mostly fast, but slow
    /// upstreams are what an operator looks for.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    static let durationBucketNanoseconds: [UInt64] = durationBuckets.map {
        UInt64($0.components.seconds) * 1_000_000_000 + UInt64($0.components.attoseconds / 1_000_000_000)
    }

    private let slots: SeriesSlotCache
    private let routes = NIOLockedValueBox<[RouteKey: RouteMetrics]>([:])

    private struct RouteKey: Hashable {
        var route: String
        var upstream: String
    }

    /// Metrics in `sharedMemory`'s metrics region: everything recorded adds to what every
    /// other process sharing the segment recorded.
    public init(sharedMemory: SharedMemorySegment) {
        self.slots = SeriesSlotCache(table: SharedMetricsTable(segment: sharedMemory))
    }

    /// The per-request series of `route` (whose requests go to `upstream`): the gateway
    /// gets one per route when it is built, so recording a request takes no lock.
    func route(_ route: String, upstream: String) -> RouteMetrics {
        self.routes.withLockedValue { routes in
            let key = RouteKey(route: route, upstream: upstream)
            if let known = routes[key] { return known }
            let metrics = RouteMetrics(route: route, upstream: upstream, slots: self.slots)
            routes[key] = metrics
            return metrics
        }
    }

    /// Counts one finished request and records how long it took.
    public func recordRequest(route: String, upstream: String, status: Int, durationNanoseconds: Int64) {
        self.route(route, upstream: upstream).record(status: status, durationNanoseconds: durationNanoseconds)
    }

    /// Counts a failed exchange with an upstream (`kind`: connect, timeout, closed, protocol).
    public func recordUpstreamError(upstream: String, kind: String) {
        self.counter(Name.upstreamErrors, [("upstream", upstream), ("kind", kind)])?.add()
    }

    /// Counts a request the rate limit refused.
    public func recordRateLimited(route: String) {
        self.counter(Name.rateLimited, [("route", route)])?.add()
    }

    /// Counts a request refused by authentication (`scheme`: api_key, basic, jwt, secret_header).
    public func recordAuthFailure(route: String, scheme: String) {
        self.counter(Name.authFailures, [("route", route), ("scheme", scheme)])?.add()
    }

    /// Raises `pylon_generation` to `generation`: a worker sets it once it serves, and the
    /// gauge only moves up, so draining workers of older generations never lower it.
    public func setGeneration(_ generation: Int) {
        self.gauge(Name.generation, [])?.raise(to: Double(generation))
    }

    /// Sets a gauge shared by the whole service, e.g. `pylon_upstream_target_healthy`
    /// `{upstream, target}`: the last value any process sets is what every scrape shows.
    public func setGauge(name: String, labels: [(name: String, value: String)], value: Double) {
        self.gauge(name, labels)?.set(value)
    }

    /// The Prometheus text exposition of every series the service has recorded.
    public func render() -> [UInt8] {
        var samples = self.slots.table.samples()
        samples.append(.init(text: Name.seriesDropped, value: .counter(self.slots.table.droppedSeries)))
        return Array(PrometheusExposition.render(samples, help: Self.help).utf8)
    }

    private func counter(_ name: String, _ labels: [(name: String, value: String)]) -> SharedMetricSeries? {
        self.slots.series(MetricSeriesKey(name: name, labels: labels), kind: .counter)
    }

    private func gauge(_ name: String, _ labels: [(name: String, value: String)]) -> SharedMetricSeries? {
        self.slots.series(MetricSeriesKey(name: name, labels: labels), kind: .gauge)
    }
}
