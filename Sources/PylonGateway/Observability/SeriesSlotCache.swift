import NIOConcurrencyHelpers

/// This process's memory of which `SharedMetricsTable` slot each series has: finding a slot
/// hashes the text and may probe, so it happens once per series per process. A refusal (the
/// table was full) is remembered too, so a full table costs nothing per request and each
/// process counts a dropped series once.
///
/// For series recorded rarely or with open-ended labels (upstream errors, auth failures,
/// gauges); the per-request series go through `RouteMetrics`, which needs no lock.
final class SeriesSlotCache: Sendable {
    let table: SharedMetricsTable
    private let slots = NIOLockedValueBox<[MetricSeriesKey: SharedMetricSeries?]>([:])

    init(table: SharedMetricsTable) {
        self.table = table
    }

    /// The slot of `key`, found or claimed on first use; nil if the table refused it.
    func series(_ key: MetricSeriesKey, kind: SharedMetricsTable.Kind, bucketBounds: [UInt64] = []) -> SharedMetricSeries? {
        if let known = self.slots.withLockedValue({ $0[key] }) { return known }
        // Outside the lock: a lookup may probe the table. Two threads racing here find the
        // same slot (claiming is atomic), so either result may be kept.
        let found = self.table.series(key, kind: kind, bucketBounds: bucketBounds)
        self.slots.withLockedValue { $0[key] = .some(found) }
        return found
    }
}
