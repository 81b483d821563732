import Atomics

/// One series' slot in the `SharedMetricsTable`: what recording a value costs is one or
/// two atomic operations on shared memory, whichever process or thread does it.
struct SharedMetricSeries: @unchecked Sendable, Equatable {
    // @unchecked: the slot lives in shared memory and is only touched through atomics.
    let slot: UnsafeMutableRawPointer

    private var value: UnsafeAtomic<UInt64> { SharedMetricsTable.word(self.slot, SharedMetricsTable.valueWord) }

    /// Counter: adds `amount`.
    func add(_ amount: UInt64 = 1) {
        self.value.wrappingIncrement(by: amount, ordering: .relaxed)
    }

    /// Gauge: sets the value (the last writer in any process wins).
    func set(_ value: Double) {
        self.value.store(value.bitPattern, ordering: .relaxed)
    }

    /// Gauge: raises the value to `value` if it is lower, so concurrent writers (old and new
    /// generations) can only move it up.
    func raise(to value: Double) {
        var current = self.value.load(ordering: .relaxed)
        while Double(bitPattern: current) < value {
            let (exchanged, found) = self.value.compareExchange(expected: current, desired: value.bitPattern, ordering: .relaxed)
            if exchanged { return }
            current = found
        }
    }

    /// Histogram: counts one observation in the first bucket whose bound is ≥ `nanoseconds`
    /// (Prometheus' `le`), or the overflow bucket, and adds it to the sum. The bounds are the
    /// slot's own, as its creator wrote them.
    func observe(nanoseconds: UInt64) {
        let layout = HistogramLayout(self.slot)
        var bucket = layout.boundCount
        for index in 0..<layout.boundCount
        where nanoseconds <= SharedMetricsTable.word(self.slot, layout.boundWord(index)).load(ordering: .relaxed) {
            bucket = index
            break
        }
        SharedMetricsTable.word(self.slot, layout.countWord(bucket)).wrappingIncrement(ordering: .relaxed)
        SharedMetricsTable.word(self.slot, layout.sumWord).wrappingIncrement(by: nanoseconds, ordering: .relaxed)
    }
}
