import Atomics
import Logging
import NIOConcurrencyHelpers

/// Health and load of every upstream target of the service, in the shared segment, so
/// every worker of every generation sees the same state: one checker writes it, all workers
/// read it on the hot path with plain atomic loads.
///
/// Layout: the health region's first 64 bytes hold the checker lease (`HealthCheckLease`);
/// then fixed 64-byte slots (`TargetHealth`), open-addressed by the SipHash of upstream name
/// and target address (as written in the config, so a host-name target keeps its state when
/// its addresses change). Requests in flight live in the worker region (`InFlightCounts`),
/// indexed by the same slot number.
///
/// A target no one has checked yet is **up**: the all-zero slot means up, so serving starts
/// at once instead of refusing every request for `rise × interval` after each start, and a
/// new generation inherits the state the old one observed. A dead target then costs at
/// most `fall × interval` of failed connects, each retried on another target.
///
/// **Who uses a slot.** Each table holds a worker slot (`WorkerSlotTable`) for its process,
/// and sets that slot's bit in every target slot it uses. When a worker's process is gone —
/// it drained and exited, or died — a surviving worker retires its worker slot
/// (`releaseGoneWorkers`, every second): its in-flight counts leave every sum, its bits
/// leave every target slot, and a target slot no live worker uses any more is freed for
/// another target. So reloads that change targets do not use the table up: only the
/// targets of live generations hold slots. Claims and releases happen under the segment's
/// allocation lock; the hot path never takes it. A freed slot keeps a tombstone key, so
/// the probe chains through it stay intact.
///
/// If the 4095 slots are all used by live workers' targets, or all worker slots are held,
/// further targets get private memory (health and load then per process) and the table logs
/// it once.
final class TargetHealthTable: @unchecked Sendable {
    // @unchecked: the regions are only accessed through atomics, claims and releases under
    // the shared allocation lock; `overflow` is behind a lock.

    static let headerByteCount = 64
    static let slotByteCount = TargetHealth.wordCount * 8
    /// The key of a slot never claimed: the end of every probe chain through it.
    static let emptyKey: UInt64 = 0
    /// The key of a freed slot: claimable, but probe chains run on past it.
    static let freedKey: UInt64 = .max

    private let segment: SharedMemorySegment
    private let slots: UnsafeMutableRawPointer
    let slotCount: Int
    private let hashKey: (UInt64, UInt64)
    private let workerSlots: WorkerSlotTable
    private let inFlight: InFlightCounts
    /// This process in the worker slot table.
    let owner: WorkerSlotOwner
    /// This process's worker slot; nil when every slot was held (all its state is private).
    let workerSlot: Int?
    private let logger: Logger
    /// Memory for targets that found no free slot; freed with the table.
    private let overflow = NIOLockedValueBox<[UnsafeMutableRawPointer]>([])
    private let reportedFull = ManagedAtomic<Bool>(false)

    /// Who runs the health checks.
    let lease: HealthCheckLease

    /// The table in `segment`, with a worker slot claimed for `owner` (this process in its
    /// generation). Takes the allocation lock, so call it at start-up, not on an event loop.
    init(segment: SharedMemorySegment, owner: WorkerSlotOwner = .current(generation: 0), logger: Logger = Logger(label: "pylon")) {
        self.segment = segment
        let region = segment.health
        let base = region.baseAddress!
        self.lease = HealthCheckLease(
            word: UnsafeAtomic(at: base.assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
        )
        let slots = base + Self.headerByteCount
        let slotCount = (region.count - Self.headerByteCount) / Self.slotByteCount
        precondition(slotCount <= InFlightCounts.targetCapacity)
        precondition((TargetHealth.wordCount - TargetHealth.firstUserWord) * 64 >= WorkerSlotTable.slotCount)
        let workers = segment.workers.baseAddress!
        let workerSlots = WorkerSlotTable(base: workers)
        let inFlight = InFlightCounts(base: workers + WorkerSlotTable.headerByteCount, liveMask: workerSlots.liveMask)
        self.slots = slots
        self.slotCount = slotCount
        self.hashKey = segment.hashKey
        self.workerSlots = workerSlots
        self.inFlight = inFlight
        self.owner = owner
        self.logger = logger

        let lock = workerSlots.lock
        lock.lock(as: owner.pid)
        var claimed = workerSlots.claim(for: owner)
        if claimed == nil {
            // All held: some holders may be gone without anyone having noticed yet.
            let gone = workerSlots.slotsOfGoneProcesses()
            _ = Self.releaseGone(gone, workerSlots: workerSlots, inFlight: inFlight, slots: slots, slotCount: slotCount)
            claimed = workerSlots.claim(for: owner)
        }
        lock.unlock()
        self.workerSlot = claimed
        if claimed == nil {
            logger.warning(
                "every worker slot of the shared memory is held: this worker's upstream health and load are its own",
                metadata: ["worker_slots": "\(WorkerSlotTable.slotCount)"]
            )
        }
    }

    /// Gives the worker slot back, with everything it held: nothing can use the table's
    /// targets any more (whoever holds a `TargetHealth` keeps the table). Unless the slot is
    /// no longer this table's: then this table's process was taken for gone.
    deinit {
        if let slot = self.workerSlot {
            let lock = self.workerSlots.lock
            lock.lock(as: self.owner.pid)
            if self.workerSlots.owner(of: slot) == self.owner {
                _ = Self.release(
                    slot, workerSlots: self.workerSlots, inFlight: self.inFlight, slots: self.slots, slotCount: self.slotCount
                )
            }
            lock.unlock()
        }
        for pointer in self.overflow.withLockedValue({ $0 }) { pointer.deallocate() }
    }

    /// The slot of `target` in `upstream`, claimed if new, marked as used by this worker.
    /// Called at start-up, once per target (it takes the allocation lock); the hot path
    /// keeps the returned handle.
    func target(upstream: String, address: String) -> TargetHealth {
        guard let workerSlot = self.workerSlot else { return self.privateTarget() }
        var hasher = SipHash(key: self.hashKey)
        hasher.combine(upstream.utf8)
        hasher.combine(0)
        hasher.combine(address.utf8)
        let hash = hasher.finalize()
        let key = hash == Self.emptyKey ? 1 : hash == Self.freedKey ? hash - 1 : hash

        let lock = self.workerSlots.lock
        lock.lock(as: self.owner.pid)
        var index = self.findOrClaim(key: key, hash: hash)
        if index == nil {
            // Full: the slots of workers that are gone may free some.
            _ = self.releaseGoneHoldingTheLock(self.workerSlots.slotsOfGoneProcesses())
            index = self.findOrClaim(key: key, hash: hash)
        }
        if let index {
            _ = Self.userWord(self.slots, index, workerSlot: workerSlot).loadThenBitwiseOr(with: Self.userBit(workerSlot), ordering: .relaxed)
        }
        lock.unlock()

        guard let index else {
            if !self.reportedFull.exchange(true, ordering: .relaxed) {
                self.logger.warning(
                    "the shared upstream health table is full: further targets get health and load of this worker's own",
                    metadata: ["slots": "\(self.slotCount)", "upstream": "\(upstream)", "target": "\(address)"]
                )
            }
            return self.privateTarget()
        }
        return TargetHealth(base: Self.slot(self.slots, index), load: self.inFlight.load(ofTarget: index, slot: workerSlot))
    }

    /// What a gone worker left behind, once released.
    struct ReleasedWorker: Equatable {
        var owner: WorkerSlotOwner
        /// Requests it still counted in flight: it died in mid-request.
        var requestsInFlight: Int
        /// Target slots only it still used, now free for other targets.
        var freedTargets: Int
    }

    /// Releases the worker slots of processes that are gone, and what they held. Never
    /// waits for the lock (another process holding it is releasing or claiming; the next
    /// sweep tries again), so it may run on an event loop: it costs a `kill(pid, 0)` per
    /// held worker slot, and a pass over the table only when a worker is gone.
    func releaseGoneWorkers() -> [ReleasedWorker] {
        let gone = self.workerSlots.slotsOfGoneProcesses()
        guard !gone.isEmpty else { return [] }
        let lock = self.workerSlots.lock
        guard lock.tryLock(as: self.owner.pid) else { return [] }
        defer { lock.unlock() }
        return self.releaseGoneHoldingTheLock(gone)
    }

    // MARK: Under the allocation lock

    private func releaseGoneHoldingTheLock(_ gone: [(slot: Int, owner: WorkerSlotOwner)]) -> [ReleasedWorker] {
        Self.releaseGone(gone, workerSlots: self.workerSlots, inFlight: self.inFlight, slots: self.slots, slotCount: self.slotCount)
    }

    /// Releases each of `gone` still held by the same owner (another process may have
    /// released it, and a new one claimed it, since it was found). Static, for `init`.
    private static func releaseGone(
        _ gone: [(slot: Int, owner: WorkerSlotOwner)], workerSlots: WorkerSlotTable, inFlight: InFlightCounts,
        slots: UnsafeMutableRawPointer, slotCount: Int
    ) -> [ReleasedWorker] {
        var released: [ReleasedWorker] = []
        for (slot, owner) in gone where workerSlots.owner(of: slot) == owner {
            let (requests, freed) = Self.release(slot, workerSlots: workerSlots, inFlight: inFlight, slots: slots, slotCount: slotCount)
            released.append(ReleasedWorker(owner: owner, requestsInFlight: requests, freedTargets: freed))
        }
        return released
    }

    /// Retires worker slot `slot` (out of every in-flight sum at once), zeroes its counts,
    /// clears its bit in every target slot and frees those no live worker uses, then frees
    /// the worker slot. Every step can be done again, so a releaser killed half-way leaves
    /// nothing the next one cannot finish.
    private static func release(
        _ slot: Int, workerSlots: WorkerSlotTable, inFlight: InFlightCounts, slots: UnsafeMutableRawPointer, slotCount: Int
    ) -> (requestsInFlight: Int, freedTargets: Int) {
        workerSlots.retire(slot)
        let requests = inFlight.clearColumn(slot)
        var freed = 0
        for index in 0..<slotCount {
            let key = Self.keyWord(slots, index).load(ordering: .acquiring)
            guard key != Self.emptyKey, key != Self.freedKey else { continue }
            _ = Self.userWord(slots, index, workerSlot: slot).loadThenBitwiseAnd(with: ~Self.userBit(slot), ordering: .relaxed)
            // A slot nobody uses is freed, whoever's bit went last (or if a claimer died
            // before setting its own).
            let used = (TargetHealth.firstUserWord..<TargetHealth.wordCount).contains {
                Self.word(slots, index, $0).load(ordering: .relaxed) != 0
            }
            if !used {
                Self.keyWord(slots, index).store(Self.freedKey, ordering: .releasing)
                freed += 1
            }
        }
        workerSlots.free(slot)
        return (requests, freed)
    }

    /// The slot holding `key`, or a slot claimed for it: the first freed one on its probe
    /// chain, else the empty one that ends the chain. Nil when every slot is in use.
    private func findOrClaim(key: UInt64, hash: UInt64) -> Int? {
        var index = Int(hash % UInt64(self.slotCount))
        var claimable: Int?
        for _ in 0..<self.slotCount {
            let existing = Self.keyWord(self.slots, index).load(ordering: .acquiring)
            if existing == key { return index }
            if existing == Self.emptyKey {
                claimable = claimable ?? index
                break
            }
            if existing == Self.freedKey, claimable == nil { claimable = index }
            index = (index + 1) % self.slotCount
        }
        guard let claimed = claimable else { return nil }
        // A new target's state: up, no streaks, not ejected, used by nobody yet.
        for word in 1..<TargetHealth.wordCount { Self.word(self.slots, claimed, word).store(0, ordering: .relaxed) }
        Self.keyWord(self.slots, claimed).store(key, ordering: .releasing)
        return claimed
    }

    // MARK: Words

    private static func slot(_ slots: UnsafeMutableRawPointer, _ index: Int) -> UnsafeMutableRawPointer {
        slots + index * Self.slotByteCount
    }

    private static func word(_ slots: UnsafeMutableRawPointer, _ index: Int, _ word: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (Self.slot(slots, index) + word * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    private static func keyWord(_ slots: UnsafeMutableRawPointer, _ index: Int) -> UnsafeAtomic<UInt64> {
        Self.word(slots, index, 0)
    }

    private static func userWord(_ slots: UnsafeMutableRawPointer, _ index: Int, workerSlot: Int) -> UnsafeAtomic<UInt64> {
        Self.word(slots, index, TargetHealth.firstUserWord + workerSlot / 64)
    }

    private static func userBit(_ workerSlot: Int) -> UInt64 {
        1 << UInt64(workerSlot % 64)
    }

    private func privateTarget() -> TargetHealth {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: Self.slotByteCount + 8, alignment: 64)
        pointer.initializeMemory(as: UInt64.self, repeating: 0, count: TargetHealth.wordCount + 1)
        self.overflow.withLockedValue { $0.append(pointer) }
        let load = TargetLoad(own: pointer + Self.slotByteCount, firstColumn: nil, liveMask: nil)
        return TargetHealth(base: pointer, load: load)
    }
}
