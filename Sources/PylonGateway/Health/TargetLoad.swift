import Atomics

/// One target's requests in flight across all workers, as this worker counts and reads
/// them: its own count is one word of its column in `InFlightCounts`, and the total is
/// the sum of the target's words in every live worker slot's column.
///
/// Counting costs one relaxed atomic add per request start and end, on a word only this
/// worker writes. Reading costs a load of the live mask (`WorkerSlotTable.slotCount` bits)
/// and one load per live worker slot — a handful on any real machine.
///
/// A target without a shared slot (the table was full) or a worker without a worker slot
/// counts in private memory: `firstColumn` is nil and the total is this worker's own.
struct TargetLoad: @unchecked Sendable {
    // @unchecked: pointers into memory that is only ever accessed through atomics.
    private let own: UnsafeMutableRawPointer
    private let firstColumn: UnsafeMutableRawPointer?
    private let liveMask: UnsafeMutableRawPointer?

    init(own: UnsafeMutableRawPointer, firstColumn: UnsafeMutableRawPointer?, liveMask: UnsafeMutableRawPointer?) {
        self.own = own
        self.firstColumn = firstColumn
        self.liveMask = liveMask
    }

    private static func word(_ pointer: UnsafeMutableRawPointer) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: pointer.assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// A request was sent to the target.
    func begin() {
        Self.word(self.own).wrappingIncrement(ordering: .relaxed)
    }

    /// A request sent to the target is over (or moved to another target).
    func end() {
        Self.word(self.own).wrappingDecrement(ordering: .relaxed)
    }

    /// Requests in flight to the target across all live workers (never negative).
    var total: Int {
        guard let firstColumn = self.firstColumn, let liveMask = self.liveMask else {
            return max(0, Int(Int64(bitPattern: Self.word(self.own).load(ordering: .relaxed))))
        }
        var sum: Int64 = 0
        for maskIndex in 0..<WorkerSlotTable.maskWordCount {
            var live = Self.word(liveMask + maskIndex * 8).load(ordering: .relaxed)
            while live != 0 {
                let slot = maskIndex * 64 + live.trailingZeroBitCount
                sum &+= Int64(bitPattern: Self.word(firstColumn + slot * InFlightCounts.columnByteCount).load(ordering: .relaxed))
                live &= live - 1
            }
        }
        return max(0, Int(sum))
    }
}
