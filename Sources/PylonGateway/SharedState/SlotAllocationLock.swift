import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// The lock every process takes to claim or release worker slots and target slots in the
/// shared segment: one word holding the holder's pid (0: free).
///
/// Claims and releases are rare (start-up, a worker's death) and take microseconds, so
/// a lock is simpler and safer than a lock-free protocol for multi-word changes; the hot
/// path never takes it. A holder killed while holding it cannot leave the service stuck: a
/// waiter that finds the holder's process gone takes the lock over (every step done under
/// it can be done again, see `TargetHealthTable`).
struct SlotAllocationLock {
    private let word: UnsafeAtomic<UInt64>

    init(word: UnsafeAtomic<UInt64>) {
        self.word = word
    }

    /// Takes the lock if it is free or its holder is gone; never waits (for event loops).
    func tryLock(as pid: Int32) -> Bool {
        let me = UInt64(UInt32(bitPattern: pid))
        let (taken, holder) = self.word.compareExchange(expected: 0, desired: me, ordering: .acquiring)
        if taken { return true }
        guard let owner = WorkerSlotOwner(word: holder), owner.isGone else { return false }
        return self.word.compareExchange(expected: holder, desired: me, ordering: .acquiring).exchanged
    }

    /// Takes the lock, waiting for it: only off the event loops (start-up, tear-down).
    func lock(as pid: Int32) {
        var attempts = 0
        while !self.tryLock(as: pid) {
            attempts += 1
            if attempts < 100 { sched_yield() } else { usleep(100) }
        }
    }

    func unlock() {
        self.word.store(0, ordering: .releasing)
    }
}
