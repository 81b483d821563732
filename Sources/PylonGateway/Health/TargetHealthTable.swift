import Atomics
import NIOConcurrencyHelpers

/// Health and load of every upstream target of the service, in the shared segment's health
/// region, so every worker of every generation sees the same state: one checker writes it,
/// all workers read it on the hot path with plain atomic loads.
///
/// Layout: the first 64 bytes hold the checker lease (`HealthCheckLease`); then fixed
/// 64-byte slots (`TargetHealth`), open-addressed by the SipHash of upstream name and
/// target address (as written in the config, so a host-name target keeps its state when
/// its addresses change). A slot is claimed by compare-exchanging its key word from zero,
/// so workers starting at once agree on slots without a lock.
///
/// A target no one has checked yet is **up**: the all-zero slot means up, so serving starts
/// at once instead of refusing every request for `rise × interval` after each start, and a
/// new generation inherits the state the old one observed. A dead target then costs at
/// most `fall × interval` of failed connects, each retried on another target.
///
/// Slots are never freed: targets removed from the config keep theirs. With 4095 slots that
/// only matters to a service that cycles through thousands of distinct targets without a
/// full restart; past that, further targets get private memory (health then per worker).
final class TargetHealthTable: @unchecked Sendable {
    // @unchecked: the region is only accessed through atomics; `overflow` is behind a lock.

    static let headerByteCount = 64
    static let slotByteCount = TargetHealth.wordCount * 8

    private let segment: SharedMemorySegment
    private let slots: UnsafeMutableRawPointer
    let slotCount: Int
    private let hashKey: (UInt64, UInt64)
    /// Memory for targets that found no free slot; freed with the table.
    private let overflow = NIOLockedValueBox<[UnsafeMutableRawPointer]>([])

    /// Who runs the health checks.
    let lease: HealthCheckLease

    init(segment: SharedMemorySegment) {
        self.segment = segment
        let region = segment.health
        let base = region.baseAddress!
        self.lease = HealthCheckLease(
            word: UnsafeAtomic(at: base.assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
        )
        self.slots = base + Self.headerByteCount
        self.slotCount = (region.count - Self.headerByteCount) / Self.slotByteCount
        self.hashKey = segment.hashKey
    }

    deinit {
        for pointer in self.overflow.withLockedValue({ $0 }) { pointer.deallocate() }
    }

    /// The slot of `target` in `upstream`, claimed if new. Called at start-up, once per
    /// target; the hot path keeps the returned handle.
    func target(upstream: String, address: String) -> TargetHealth {
        var hasher = SipHash(key: self.hashKey)
        hasher.combine(upstream.utf8)
        hasher.combine(0)
        hasher.combine(address.utf8)
        let hash = hasher.finalize()
        let key = hash == 0 ? 1 : hash
        var index = Int(hash % UInt64(self.slotCount))
        for _ in 0..<self.slotCount {
            let slot = self.slots + index * Self.slotByteCount
            let keyWord = UnsafeAtomic<UInt64>(at: slot.assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
            let (claimed, existing) = keyWord.compareExchange(expected: 0, desired: key, ordering: .relaxed)
            if claimed || existing == key { return TargetHealth(base: slot) }
            index = (index + 1) % self.slotCount
        }
        return self.privateTarget()
    }

    private func privateTarget() -> TargetHealth {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: Self.slotByteCount, alignment: 64)
        pointer.initializeMemory(as: UInt64.self, repeating: 0, count: TargetHealth.wordCount)
        self.overflow.withLockedValue { $0.append(pointer) }
        return TargetHealth(base: pointer)
    }
}
