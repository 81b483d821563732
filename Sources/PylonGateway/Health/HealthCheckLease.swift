import Atomics

/// Who runs the health checks: one 64-bit word in the shared health region, taken and
/// renewed by compare-exchange, so that however many workers (and generations) serve,
/// exactly one probes the targets and health-check traffic does not grow with `--workers`.
///
/// The word packs the holder and its heartbeat, so one compare-exchange decides everything:
/// - bits 48...63: the holder's generation, modulo 2^16
/// - bits 26...47: the holder's pid (Linux pids are below 2^22)
/// - bits 0...25: when the lease expires, in milliseconds of the monotonic clock modulo 2^26
///   (about 18 hours; compared as serial numbers, so the wrap does not matter)
///
/// Zero means nobody holds it (a pid is never 0). The rules, in `decide`: take an empty or
/// expired lease; renew your own; a worker of a newer generation takes it over from an
/// older one at once (during an upgrade the old generation drains, and the new one should
/// check with its own config); otherwise leave it. The holder renews every period and the
/// lease lasts three, so a holder that died is replaced within about three periods.
struct HealthCheckLease {
    /// A worker that may hold the lease.
    struct Holder: Equatable, CustomStringConvertible {
        var generation: UInt16
        var pid: UInt32

        init(generation: Int, pid: Int32) {
            self.generation = UInt16(truncatingIfNeeded: generation)
            self.pid = UInt32(truncatingIfNeeded: pid) & HealthCheckLease.pidMask
        }

        var description: String { "pid \(self.pid), generation \(self.generation)" }

        /// Whether `self` belongs to a newer generation than `other` (serial-number order).
        func isNewer(than other: Holder) -> Bool {
            let distance = Int16(bitPattern: self.generation &- other.generation)
            return distance > 0
        }
    }

    /// The decoded word.
    struct State: Equatable {
        var holder: Holder
        var expiry: UInt32
    }

    enum Decision: Equatable {
        /// The lease is ours: extend it.
        case renew
        /// Take it (empty, expired, or held by an older generation).
        case take
        /// Someone else holds it.
        case leave
    }

    static let pidMask: UInt32 = (1 << 22) - 1
    static let clockMask: UInt64 = (1 << 26) - 1
    /// A lease reaching further ahead than this cannot have been written by a live holder
    /// (periods are at most 1 s): it is a stale word from before the clock wrapped.
    static let longestLeaseMilliseconds: Int64 = 60_000

    static func encode(_ state: State) -> UInt64 {
        UInt64(state.holder.generation) << 48 | UInt64(state.holder.pid) << 26 | UInt64(state.expiry) & clockMask
    }

    static func decode(_ word: UInt64) -> State? {
        guard word != 0 else { return nil }
        var holder = Holder(generation: 0, pid: 0)
        holder.generation = UInt16(truncatingIfNeeded: word >> 48)
        holder.pid = UInt32(truncatingIfNeeded: word >> 26) & pidMask
        return State(holder: holder, expiry: UInt32(truncatingIfNeeded: word & clockMask))
    }

    /// `to - from` on the 26-bit millisecond clock, in -2^25 ..< 2^25.
    static func distance(from: UInt64, to: UInt64) -> Int64 {
        let difference = (to &- from) & clockMask
        return difference >= 1 << 25 ? Int64(difference) - (1 << 26) : Int64(difference)
    }

    /// What `me` should do about the lease word `current` at `nowMilliseconds`.
    static func decide(current: UInt64, me: Holder, nowMilliseconds: UInt64) -> Decision {
        guard let state = decode(current) else { return .take }
        if state.holder == me { return .renew }
        let remaining = distance(from: nowMilliseconds, to: UInt64(state.expiry))
        if remaining <= 0 || remaining > longestLeaseMilliseconds { return .take }
        return me.isNewer(than: state.holder) ? .take : .leave
    }

    private let word: UnsafeAtomic<UInt64>

    init(word: UnsafeAtomic<UInt64>) {
        self.word = word
    }

    /// The holder now, if any (for logs).
    var currentHolder: Holder? { Self.decode(self.word.load(ordering: .relaxed))?.holder }

    /// Takes or renews the lease for `ttlMilliseconds` if the rules allow; returns whether
    /// `me` holds it afterwards and who held it before.
    func acquireOrRenew(as me: Holder, nowMilliseconds: UInt64, ttlMilliseconds: UInt64) -> (holding: Bool, previous: Holder?) {
        let current = self.word.load(ordering: .acquiring)
        let previous = Self.decode(current)?.holder
        guard Self.decide(current: current, me: me, nowMilliseconds: nowMilliseconds) != .leave else {
            return (false, previous)
        }
        let desired = Self.encode(State(holder: me, expiry: UInt32(truncatingIfNeeded: (nowMilliseconds + ttlMilliseconds) & Self.clockMask)))
        let (exchanged, _) = self.word.compareExchange(expected: current, desired: desired, ordering: .acquiringAndReleasing)
        return (exchanged, previous)
    }

    /// Gives the lease up if `me` holds it, so another worker takes over at once.
    func release(as me: Holder) {
        let current = self.word.load(ordering: .acquiring)
        guard Self.decode(current)?.holder == me else { return }
        _ = self.word.compareExchange(expected: current, desired: 0, ordering: .acquiringAndReleasing)
    }
}
