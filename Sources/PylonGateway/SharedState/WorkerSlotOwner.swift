#if canImport(Glibc)
import Glibc
#endif

/// The process holding a worker slot (`WorkerSlotTable`): its pid and generation, packed in
/// one word of the shared segment so a slot is claimed and released by one atomic store.
///
/// Word: bits 32...62 the generation (modulo 2^31, for logs), bits 0...31 the pid. A pid is
/// never 0, so 0 means the slot is free.
struct WorkerSlotOwner: Equatable, Sendable, CustomStringConvertible {
    var pid: Int32
    var generation: Int

    init(pid: Int32, generation: Int) {
        self.pid = pid
        self.generation = generation & 0x7FFF_FFFF
    }

    /// This process, in `generation`.
    static func current(generation: Int) -> WorkerSlotOwner {
        WorkerSlotOwner(pid: getpid(), generation: generation)
    }

    init?(word: UInt64) {
        guard word != 0 else { return nil }
        self.init(pid: Int32(bitPattern: UInt32(truncatingIfNeeded: word)), generation: Int(word >> 32))
    }

    var word: UInt64 {
        UInt64(self.generation) << 32 | UInt64(UInt32(bitPattern: self.pid))
    }

    /// Whether the process is gone: `kill(pid, 0)` fails with ESRCH. A process of another
    /// user (EPERM) counts as alive, as does a pid the kernel has given to a new process
    /// since — its slot is then released only when that process ends. One syscall that
    /// never blocks, so it may run on an event loop.
    var isGone: Bool {
        kill(self.pid, 0) == -1 && errno == ESRCH
    }

    var description: String { "pid \(self.pid), generation \(self.generation)" }
}
