import Atomics

/// Requests in flight per target, one column of counts per worker slot (`WorkerSlotTable`):
/// a worker adds to and subtracts from only its own column, one relaxed atomic add per
/// request start and end; a reader sums the target's count over the live slots.
///
/// So the counts a worker leaves behind when it dies mid-request sit in its column alone,
/// and disappear from every sum the moment a surviving worker retires its slot — instead
/// of skewing a shared counter for good.
///
/// Layout: column `s` is `targetCapacity` words (32 KiB) at `s × 32 KiB`; word `t` of it
/// counts the requests worker slot `s` has in flight to target slot `t` (a signed count in
/// two's complement). Columns are separate pages, so workers never share a cache line.
struct InFlightCounts: @unchecked Sendable {
    // @unchecked: a pointer into shared memory that is only ever accessed through atomics.

    /// Target slots a column has room for (`TargetHealthTable` has fewer).
    static let targetCapacity = 4096
    static let columnByteCount = targetCapacity * 8
    static let byteCount = WorkerSlotTable.slotCount * columnByteCount

    private let base: UnsafeMutableRawPointer
    private let liveMask: UnsafeMutableRawPointer

    init(base: UnsafeMutableRawPointer, liveMask: UnsafeMutableRawPointer) {
        self.base = base
        self.liveMask = liveMask
    }

    /// Target `target`'s count in worker slot `slot`'s column.
    func counter(slot: Int, target: Int) -> UnsafeMutableRawPointer {
        precondition(target < Self.targetCapacity)
        return self.base + slot * Self.columnByteCount + target * 8
    }

    /// The counts of target `target`, for `TargetLoad` to sum.
    func load(ofTarget target: Int, slot: Int) -> TargetLoad {
        TargetLoad(own: self.counter(slot: slot, target: target), firstColumn: self.counter(slot: 0, target: target), liveMask: self.liveMask)
    }

    /// Zeroes worker slot `slot`'s column (a retired slot: nobody writes it any more) and
    /// returns how many requests it still counted.
    func clearColumn(_ slot: Int) -> Int {
        var total: Int64 = 0
        for target in 0..<Self.targetCapacity {
            let word = UnsafeAtomic<UInt64>(at: self.counter(slot: slot, target: target).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
            // Every word is read for the total; only the few non-zero ones are written.
            let value = word.load(ordering: .relaxed)
            guard value != 0 else { continue }
            total &+= Int64(bitPattern: value)
            word.store(0, ordering: .relaxed)
        }
        return Int(max(0, total))
    }
}
