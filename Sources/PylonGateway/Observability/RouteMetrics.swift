import Atomics

/// The per-request series of one route (`pylon_requests_total` by status, the duration
/// histogram, `pylon_rate_limited_total`), each slot looked up on first use and kept in a
/// fixed array of atomic words: recording a request is an index, an atomic load and the
/// atomic adds on shared memory — no lock, no hashing, whichever event loop records it.
final class RouteMetrics: @unchecked Sendable {
    // @unchecked: `cells` is only accessed through atomics and freed in deinit.

    let route: String
    let upstream: String
    private let slots: SeriesSlotCache
    /// One cell per status 100...599, then the duration histogram and the rate-limit
    /// counter: 0 = not looked up yet, 1 = the table refused the series, else the slot's address.
    private let cells: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>

    private static let statuses = 100..<600
    private static let durationCell = statuses.count
    private static let rateLimitedCell = statuses.count + 1
    private static let cellCount = statuses.count + 2
    private static let refused: UInt64 = 1

    init(route: String, upstream: String, slots: SeriesSlotCache) {
        self.route = route
        self.upstream = upstream
        self.slots = slots
        self.cells = .allocate(capacity: Self.cellCount)
        self.cells.initialize(repeating: UnsafeAtomic<UInt64>.Storage(0), count: Self.cellCount)
    }

    deinit {
        self.cells.deinitialize(count: Self.cellCount)
        self.cells.deallocate()
    }

    /// Counts one answered request and its duration.
    func record(status: Int, durationNanoseconds: Int64) {
        let requests: SharedMetricSeries?
        if Self.statuses.contains(status) {
            requests = self.series(at: status - Self.statuses.lowerBound) { self.requestsKey(status: status) }
        } else {
            requests = self.slots.series(self.requestsKey(status: status).key, kind: .counter)
        }
        requests?.add()
        let duration = self.series(at: Self.durationCell) {
            (MetricSeriesKey(name: GatewayMetrics.Name.requestDuration, labels: [("route", self.route)]),
             .histogram, GatewayMetrics.durationBucketNanoseconds)
        }
        duration?.observe(nanoseconds: UInt64(max(0, durationNanoseconds)))
    }

    /// Counts one request refused by the rate limit.
    func recordRateLimited() {
        let series = self.series(at: Self.rateLimitedCell) {
            (MetricSeriesKey(name: GatewayMetrics.Name.rateLimited, labels: [("route", self.route)]), .counter, [])
        }
        series?.add()
    }

    private func requestsKey(status: Int) -> (key: MetricSeriesKey, kind: SharedMetricsTable.Kind, bounds: [UInt64]) {
        let labels: [(name: String, value: String)] = [("route", self.route), ("status", String(status)), ("upstream", self.upstream)]
        return (MetricSeriesKey(name: GatewayMetrics.Name.requests, labels: labels), .counter, [])
    }

    private func series(
        at index: Int, _ describe: () -> (key: MetricSeriesKey, kind: SharedMetricsTable.Kind, bounds: [UInt64])
    ) -> SharedMetricSeries? {
        let cell = UnsafeAtomic<UInt64>(at: self.cells + index)
        let cached = cell.load(ordering: .acquiring)
        if cached > Self.refused {
            return SharedMetricSeries(slot: UnsafeMutableRawPointer(bitPattern: UInt(cached))!)
        }
        if cached == Self.refused { return nil }
        let (key, kind, bounds) = describe()
        let found = self.slots.series(key, kind: kind, bucketBounds: bounds)
        cell.store(found.map { UInt64(UInt(bitPattern: $0.slot)) } ?? Self.refused, ordering: .releasing)
        return found
    }
}
