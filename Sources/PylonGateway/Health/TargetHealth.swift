import Atomics

/// One target's words in the shared health table, read by every worker on the hot path
/// and written by the health checker (active state) and by whichever worker sees a request
/// fail or succeed (passive state); and the target's requests in flight (`TargetLoad`),
/// counted around every request.
///
/// Words, 8 bytes each, at `base`:
/// - 0: the slot's key (owned by `TargetHealthTable`)
/// - 1: `ActiveHealthState` (written only by the lease holder)
/// - 2: consecutive passive failures
/// - 3: passively ejected until this monotonic time in nanoseconds (0: not ejected)
/// - 4...7: the worker slots using the target, one bit each (owned by `TargetHealthTable`)
///
/// All-zero means up, not ejected. A value type around pointers into memory that lives as
/// long as the table.
struct TargetHealth: @unchecked Sendable {
    // @unchecked: pointers into shared memory that are only ever accessed through atomics.
    private let base: UnsafeMutableRawPointer
    private let load: TargetLoad

    static let wordCount = 8
    /// The first of the words whose bits are the worker slots using the target.
    static let firstUserWord = 4

    init(base: UnsafeMutableRawPointer, load: TargetLoad) {
        self.base = base
        self.load = load
    }

    private func word(_ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (self.base + index * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    private var activeWord: UnsafeAtomic<UInt64> { self.word(1) }
    private var passiveFailuresWord: UnsafeAtomic<UInt64> { self.word(2) }
    private var ejectedUntilWord: UnsafeAtomic<UInt64> { self.word(3) }

    // MARK: Reading (hot path)

    /// Whether requests may go to the target now: the active check says up and it is not
    /// passively ejected. Costs two relaxed loads, and a clock read only while ejected.
    func isServable(now: () -> UInt64) -> Bool {
        guard self.activeWord.load(ordering: .relaxed) & 1 == 0 else { return false }
        let until = self.ejectedUntilWord.load(ordering: .relaxed)
        if until == 0 { return true }
        guard now() >= until else { return false }
        // The cool-down is over: clear it so the next readers skip the clock.
        _ = self.ejectedUntilWord.compareExchange(expected: until, desired: 0, ordering: .relaxed)
        return true
    }

    /// The active check's view.
    var activeState: ActiveHealthState {
        ActiveHealthState(word: self.activeWord.load(ordering: .relaxed))
    }

    /// Whether the target is passively ejected at `now`.
    func isEjected(now: UInt64) -> Bool {
        let until = self.ejectedUntilWord.load(ordering: .relaxed)
        return until != 0 && now < until
    }

    /// Requests in flight to the target across all live workers (never negative).
    var inFlight: Int { self.load.total }

    // MARK: Active checks (lease holder only)

    /// Records one probe result; returns the transition if the target flipped.
    func recordProbe(success: Bool, rise: Int, fall: Int) -> ActiveHealthState.Transition? {
        // A compare-exchange loop rather than a plain store: during a lease hand-over two
        // checkers may briefly probe at once, and neither must lose the other's result.
        var current = self.activeWord.load(ordering: .relaxed)
        while true {
            var state = ActiveHealthState(word: current)
            let transition = state.record(success: success, rise: rise, fall: fall)
            let (exchanged, original) = self.activeWord.compareExchange(
                expected: current, desired: state.word, ordering: .relaxed
            )
            if exchanged { return transition }
            current = original
        }
    }

    // MARK: Passive ejection (any worker)

    /// Counts a failed request; returns true when this failure ejected the target (the
    /// caller logs it). Failures while ejected are not counted: they are requests that
    /// were sent before the ejection.
    func recordPassiveFailure(threshold: Int, cooldownNanoseconds: UInt64, now: UInt64) -> Bool {
        if self.isEjected(now: now) { return false }
        let failures = self.passiveFailuresWord.loadThenWrappingIncrement(ordering: .relaxed) + 1
        // Exactly one worker sees the count reach the threshold: it ejects and restarts the count.
        guard failures == UInt64(threshold) else { return false }
        self.ejectedUntilWord.store(now &+ cooldownNanoseconds, ordering: .relaxed)
        self.passiveFailuresWord.store(0, ordering: .relaxed)
        return true
    }

    /// A request got a response: the failure streak is over. Loads first, so the common
    /// case writes nothing to the shared cache line.
    func recordPassiveSuccess() {
        if self.passiveFailuresWord.load(ordering: .relaxed) != 0 {
            self.passiveFailuresWord.store(0, ordering: .relaxed)
        }
    }

    // MARK: Load

    /// A request was sent to the target.
    func beginRequest() {
        self.load.begin()
    }

    /// A request sent to the target is over (or moved to another target).
    func endRequest() {
        self.load.end()
    }
}
