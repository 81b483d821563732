import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// The memory every worker of one service shares (DESIGN §4): metrics, rate-limit buckets
/// and upstream health, laid out at fixed offsets so that every generation of workers —
/// old and new side by side during an upgrade — reads and writes the same words.
///
/// Under a master the segment is a memfd the master created zero-filled, passes to every
/// worker and keeps across its re-exec, so counts survive upgrades and worker restarts. A
/// single-process run maps an anonymous shared region instead.
///
/// Every table built on a region treats all-zero memory as empty, so a fresh segment needs
/// no initialisation beyond the header. The header records the layout version: a worker
/// handed a segment with another layout refuses it rather than misreading it (the master
/// creates a new segment when the layout changes; see `layoutVersion`).
///
/// Regions are only ever accessed through atomics (swift-atomics over the mapped words),
/// which are address-free on every platform Pylon runs on, so they work across processes.
public final class SharedMemorySegment: @unchecked Sendable {
    // @unchecked: the mapping is immutable after init and its memory is only touched
    // through atomics.

    /// Bumped whenever an offset, a region size or the meaning of a word changes.
    /// 2: requests in flight counted per worker slot (the worker region), target slots
    /// record which worker slots use them.
    public static let layoutVersion: UInt32 = 2

    /// A region of the segment: where it starts and how long it is.
    struct Region {
        let offset: Int
        let byteCount: Int
    }

    static let headerRegion = Region(offset: 0, byteCount: 4096)
    /// The TLS session-ticket secret: `SessionTicketSecret`. In the header page, past the
    /// words `Header` uses. A segment made by a binary that did not know it has zeros there,
    /// which read as "not set yet", so adding it changed no layout.
    static let sessionTicketSecretRegion = Region(offset: 64, byteCount: SessionTicketSecret.byteCount)
    /// Metric series: `SharedMetricsTable`.
    static let metricsRegion = Region(offset: 4096, byteCount: 4 << 20)
    /// Token buckets: `RateLimitTable`.
    static let rateLimitRegion = Region(offset: 4096 + (4 << 20), byteCount: 8 << 20)
    /// Upstream target health: `TargetHealthTable`.
    static let healthRegion = Region(offset: 4096 + (12 << 20), byteCount: 256 << 10)
    /// Which worker process holds which worker slot, and each slot's requests in flight
    /// per target: `WorkerSlotTable` and `InFlightCounts`. A worker touches only its own
    /// slot's pages (32 KiB at most), so the 8 MiB cost little.
    static let workerRegion = Region(
        offset: healthRegion.offset + healthRegion.byteCount,
        byteCount: WorkerSlotTable.headerByteCount + InFlightCounts.byteCount
    )

    /// The whole segment's size; the master creates its memfd with this length.
    /// Untouched pages of a memfd or anonymous mapping cost no memory.
    public static let byteCount = workerRegion.offset + workerRegion.byteCount

    /// A description of the layout that changes whenever `layoutVersion` or the size does:
    /// a master keeps its segment across a re-exec only if the new binary names the same.
    public static var layoutDescription: String { "pylon-shm v\(layoutVersion) \(byteCount)" }

    private let base: UnsafeMutableRawPointer

    /// The metrics region.
    public var metrics: UnsafeMutableRawBufferPointer { self.buffer(Self.metricsRegion) }
    /// The rate-limit region.
    public var rateLimits: UnsafeMutableRawBufferPointer { self.buffer(Self.rateLimitRegion) }
    /// The upstream health region.
    public var health: UnsafeMutableRawBufferPointer { self.buffer(Self.healthRegion) }
    /// The worker region.
    var workers: UnsafeMutableRawBufferPointer { self.buffer(Self.workerRegion) }
    /// The words of the TLS session-ticket secret.
    var sessionTicketSecretWords: UnsafeMutableRawBufferPointer { self.buffer(Self.sessionTicketSecretRegion) }

    /// The per-segment random key for hashing client keys into tables: the same in every
    /// worker of the service, unknown outside it, so nobody can aim keys at one slot.
    public let hashKey: (UInt64, UInt64)

    /// Maps the segment in `fileDescriptor` (a memfd from the master); the descriptor may
    /// be closed afterwards. Sets up the header if this is the first mapping, else checks it.
    public convenience init(mapping fileDescriptor: CInt) throws {
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else {
            throw SharedMemoryError.unusable("fstat failed: errno \(errno)")
        }
        guard Int(status.st_size) == Self.byteCount else {
            throw SharedMemoryError.unusable(
                "the shared segment is \(status.st_size) bytes, this binary's layout needs \(Self.byteCount)"
            )
        }
        let pointer = mmap(nil, Self.byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fileDescriptor, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw SharedMemoryError.unusable("mmap failed: errno \(errno)")
        }
        try self.init(base: pointer)
    }

    /// A segment shared only by this process and its threads (single-process runs, tests).
    public static func anonymous() throws -> SharedMemorySegment {
        let pointer = mmap(nil, Self.byteCount, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw SharedMemoryError.unusable("mmap failed: errno \(errno)")
        }
        return try SharedMemorySegment(base: pointer)
    }

    private init(base: UnsafeMutableRawPointer) throws {
        self.base = base
        do {
            self.hashKey = try Header(base).claimOrValidate()
        } catch {
            munmap(base, Self.byteCount)
            throw error
        }
    }

    deinit {
        munmap(self.base, Self.byteCount)
    }

    private func buffer(_ region: Region) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: self.base + region.offset, count: region.byteCount)
    }
}

/// The first words of the segment: magic, layout version, a state word for the one-time
/// set-up, and the hash key.
private struct Header {
    /// "PYLONSHM" in ASCII.
    static let magic: UInt64 = 0x5059_4C4F_4E53_484D

    private enum State: UInt64 {
        case empty = 0
        case settingUp = 1
        case ready = 2
    }

    let base: UnsafeMutableRawPointer

    init(_ base: UnsafeMutableRawPointer) { self.base = base }

    private func word(_ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (self.base + index * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    private var state: UnsafeAtomic<UInt64> { self.word(0) }
    private var magicWord: UnsafeAtomic<UInt64> { self.word(1) }
    private var versionWord: UnsafeAtomic<UInt64> { self.word(2) }
    private var key0: UnsafeAtomic<UInt64> { self.word(3) }
    private var key1: UnsafeAtomic<UInt64> { self.word(4) }

    /// The first process to map a zeroed segment writes the header; every later one waits
    /// for it to be ready and checks it. Returns the hash key.
    func claimOrValidate() throws -> (UInt64, UInt64) {
        let (claimed, _) = self.state.compareExchange(
            expected: State.empty.rawValue, desired: State.settingUp.rawValue, ordering: .acquiring
        )
        if claimed {
            var random = SystemRandomNumberGenerator()
            self.key0.store(random.next(), ordering: .relaxed)
            self.key1.store(random.next(), ordering: .relaxed)
            self.magicWord.store(Self.magic, ordering: .relaxed)
            self.versionWord.store(UInt64(SharedMemorySegment.layoutVersion), ordering: .relaxed)
            self.state.store(State.ready.rawValue, ordering: .releasing)
        } else {
            // Another process is writing the header right now: it takes a few stores.
            var spins = 0
            while self.state.load(ordering: .acquiring) != State.ready.rawValue {
                spins += 1
                guard spins < 1_000_000 else { throw SharedMemoryError.unusable("the shared segment's header was never set up") }
                sched_yield()
            }
        }
        guard self.magicWord.load(ordering: .relaxed) == Self.magic else {
            throw SharedMemoryError.unusable("the shared segment is not a Pylon segment")
        }
        let version = self.versionWord.load(ordering: .relaxed)
        guard version == UInt64(SharedMemorySegment.layoutVersion) else {
            throw SharedMemoryError.unusable(
                "the shared segment has layout version \(version), this binary uses \(SharedMemorySegment.layoutVersion)"
            )
        }
        return (self.key0.load(ordering: .relaxed), self.key1.load(ordering: .relaxed))
    }
}

/// Why a shared segment cannot be used.
public enum SharedMemoryError: Error, CustomStringConvertible {
    case unusable(String)

    public var description: String {
        switch self {
        case .unusable(let detail): "shared memory: \(detail)"
        }
    }
}
