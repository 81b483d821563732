import Atomics

/// Which worker process holds which of the segment's worker slots: the header of the
/// worker region. A slot gives its holder a column of its own in `InFlightCounts` and a bit
/// in every target slot it uses (`TargetHealthTable`), so what a process leaves behind when
/// it dies — a SIGKILL mid-request, a crash, a drain cut short — can be found and undone
/// by the workers that outlive it, without the master knowing anything about it.
///
/// Header layout (bytes):
/// - 0: the allocation lock (`SlotAllocationLock`), shared with the target slots
/// - 64: the live mask, `slotCount` bits: set while a slot is held, read on the hot path
///   to know which columns to sum
/// - 512: one owner word per slot (`WorkerSlotOwner`; 0: free)
///
/// Claiming and releasing happen under the lock; reading the mask needs none.
struct WorkerSlotTable: @unchecked Sendable {
    // @unchecked: a pointer into shared memory that is only ever accessed through atomics.

    /// How many worker processes can hold a slot at once, every generation together; one
    /// more counts per process only (`TargetHealthTable`).
    static let slotCount = 256
    static let maskWordCount = slotCount / 64
    static let headerByteCount = 4096
    private static let maskOffset = 64
    private static let ownersOffset = 512

    private let base: UnsafeMutableRawPointer

    init(base: UnsafeMutableRawPointer) {
        self.base = base
    }

    private func word(atByte offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (self.base + offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    var lock: SlotAllocationLock { SlotAllocationLock(word: self.word(atByte: 0)) }

    /// The live mask's words, for `InFlightCounts` to sum over.
    var liveMask: UnsafeMutableRawPointer { self.base + Self.maskOffset }

    private func maskWord(_ slot: Int) -> UnsafeAtomic<UInt64> {
        self.word(atByte: Self.maskOffset + slot / 64 * 8)
    }

    private func ownerWord(_ slot: Int) -> UnsafeAtomic<UInt64> {
        self.word(atByte: Self.ownersOffset + slot * 8)
    }

    /// Who holds `slot`, if anyone.
    func owner(of slot: Int) -> WorkerSlotOwner? {
        WorkerSlotOwner(word: self.ownerWord(slot).load(ordering: .acquiring))
    }

    /// Whether `slot` counts in the sums.
    func isLive(_ slot: Int) -> Bool {
        self.maskWord(slot).load(ordering: .relaxed) & (1 << UInt64(slot % 64)) != 0
    }

    /// Claims the first free slot for `owner`; nil when all are held. Under the lock.
    func claim(for owner: WorkerSlotOwner) -> Int? {
        for slot in 0..<Self.slotCount where self.ownerWord(slot).load(ordering: .relaxed) == 0 {
            self.ownerWord(slot).store(owner.word, ordering: .releasing)
            _ = self.maskWord(slot).loadThenBitwiseOr(with: 1 << UInt64(slot % 64), ordering: .releasing)
            return slot
        }
        return nil
    }

    /// Takes `slot` out of the sums; the caller then clears what the slot left behind and
    /// frees it with `free`. Under the lock.
    func retire(_ slot: Int) {
        _ = self.maskWord(slot).loadThenBitwiseAnd(with: ~(1 << UInt64(slot % 64)), ordering: .releasing)
    }

    /// Makes `slot` claimable again. Under the lock.
    func free(_ slot: Int) {
        self.ownerWord(slot).store(0, ordering: .releasing)
    }

    /// The held slots whose process is gone, with their owners: one `kill(pid, 0)` per
    /// held slot, no lock.
    func slotsOfGoneProcesses() -> [(slot: Int, owner: WorkerSlotOwner)] {
        var gone: [(slot: Int, owner: WorkerSlotOwner)] = []
        for slot in 0..<Self.slotCount {
            guard let owner = self.owner(of: slot), owner.isGone else { continue }
            gone.append((slot, owner))
        }
        return gone
    }
}
