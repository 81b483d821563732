import Atomics

/// Token buckets shared by every worker of a service, in the segment's `rateLimits` region
/// (DESIGN §4): a fixed-size open-addressed table, so memory is bounded by construction
/// however many clients there are, and lock-free, so no worker waits on another.
///
/// ## Layout
/// Slot `i` is two 64-bit words at `16·i`:
/// - the **key word**: the client's 64-bit hash (SipHash of limiter id and client key, with
///   the segment's `hashKey`); 0 means empty, so a zeroed region is an empty table.
/// - the **state word**: `tag << 52 | tat`, where `tat` is the bucket's GCRA "theoretical
///   arrival time" in microseconds of `CLOCK_MONOTONIC` (52 bits: 142 years of uptime) and
///   `tag` the key's top 12 bits.
///
/// A bucket is one number: `tat` is when the bucket will be full again. A request at `now`
/// is allowed when `max(tat, now) + interval ≤ now + tolerance`, and then moves `tat` by one
/// interval — a token bucket without a token count or a refill step, so one compare-and-swap
/// of one word updates it, whichever process does it. Refused requests write nothing.
///
/// ## Finding a slot
/// A key lives in one of the `probeLength` slots after its home slot; lookups stop at the
/// first slot holding the key. A key not in its window takes a slot there: an empty one, or
/// else the one whose bucket is closest to full. A bucket whose `tat` has passed is full, and
/// a full bucket is indistinguishable from a fresh one, so such slots are free by definition
/// and recycling them loses nothing. Only when every slot in a window holds a bucket still
/// refilling — a flood of distinct clients — is a partly used bucket dropped, and it is the
/// one nearest to full; a client hammering hard sits far from full and is dropped last.
///
/// Taking a slot is a CAS of its key word from what the scan saw to the new key; the state
/// word still carries the old key's tag, which tells everyone the bucket has not been
/// written for the new key yet: a state word whose tag is not its key's means a fresh bucket
/// (if the key word still holds our key) or a slot that was taken from us (if not — look again).
///
/// ## Races accepted (each is documented where it happens)
/// - A request of the evicted key that read the slot just before it was taken can still
///   CAS the old state word: that request is counted in a bucket that is being dropped
///   anyway, exactly as if the eviction had come a moment later.
/// - Tags are 12 bits: when an evicted key and its successor share a tag (1 in 4096), a
///   request of the old key racing the take-over within the same few nanoseconds, or the
///   successor's first look at a slot taken from a bucket that was not yet full, may see
///   the other's bucket: that client is limited a little early, never late.
/// - Two first requests of one brand-new key, racing while its window changes under them
///   (another key taking a slot, or a bucket turning full in that very microsecond), can
///   take two different slots; the later lookups all use the first in probe order, and
///   the other is orphaned. The few requests counted in the orphan are the only way a key
///   gets more than its allowance, and only at its birth.
/// - Clocks are read before the CAS: a request that read `now` a moment before another
///   process's request that already moved `tat` sees a slightly older time, which can only
///   refuse it earlier, never allow more than `burst + rate·t`.
struct RateLimitTable: @unchecked Sendable {
    // @unchecked: the words are shared memory, touched only through atomics; `segment`
    // keeps the mapping alive as long as any copy of the table exists.

    /// Slots a key may live in, starting at its home slot: four cache lines.
    static let probeLength = 16
    /// Bits of the state word holding the arrival time; the rest hold the key's tag.
    static let timeBits: UInt64 = 52
    static let timeMask: UInt64 = (1 << timeBits) - 1
    /// How often one request may restart its lookup because other keys took slots of its
    /// window between its scan and its CAS. Each restart means another request made progress.
    static let maxLookups = 8

    let slotCount: Int
    private let words: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let segment: SharedMemorySegment

    init(segment: SharedMemorySegment) {
        let region = segment.rateLimits
        var slots = 1
        while slots * 2 * 16 <= region.count { slots *= 2 }
        self.slotCount = slots
        self.words = region.baseAddress!.assumingMemoryBound(to: UnsafeAtomic<UInt64>.Storage.self)
        self.segment = segment
    }

    /// Takes one request from `key`'s bucket at `now` (microseconds of `MonotonicClock`), or
    /// says how long until it could. `key` is the client's hash; 0 stands in for 1.
    func acquire(key rawKey: UInt64, limit: BucketLimit, now: UInt64) -> RateLimitDecision {
        let key = rawKey == 0 ? 1 : rawKey
        let home = Int(truncatingIfNeeded: key) & (self.slotCount - 1)
        for _ in 0..<Self.maxLookups {
            switch self.findOrTake(key: key, home: home, now: now) {
            case .none:
                continue
            case .some(let slot):
                if let decision = self.update(slot: slot, key: key, limit: limit, now: now) {
                    return decision
                }
            }
        }
        // Every lookup lost its window to other keys: a storm of new clients on the same few
        // slots. Letting this one request through is cheaper than stalling an event loop,
        // and the storm's own clients are the ones being counted.
        return RateLimitDecision(allowed: true, remaining: 0, waitMicroseconds: limit.tolerance)
    }

    /// The slot holding `key`, taking one if none does; nil when a race means looking again.
    private func findOrTake(key: UInt64, home: Int, now: UInt64) -> Int? {
        var candidate: (slot: Int, seenKey: UInt64)?
        var candidateArrival = UInt64.max
        for offset in 0..<Self.probeLength {
            let slot = (home + offset) & (self.slotCount - 1)
            let slotKey = self.keyWord(slot).load(ordering: .sequentiallyConsistent)
            if slotKey == key { return slot }
            guard candidateArrival > 0 else { continue }
            if slotKey == 0 {
                candidate = (slot, 0)
                candidateArrival = 0
                continue
            }
            let state = self.stateWord(slot).load(ordering: .relaxed)
            // A slot being taken right now (its state not yet written for its new key) is
            // nobody's to evict.
            guard Self.tag(ofState: state) == Self.tag(ofKey: slotKey) else { continue }
            let arrival = state & Self.timeMask
            // Full buckets count as empty; among the rest the earliest arrival is nearest full.
            let effective = arrival <= now ? 0 : arrival
            if effective < candidateArrival {
                candidate = (slot, slotKey)
                candidateArrival = effective
            }
        }
        guard let candidate else { return nil }
        let (taken, _) = self.keyWord(candidate.slot).compareExchange(
            expected: candidate.seenKey, desired: key, ordering: .sequentiallyConsistent
        )
        guard taken else { return nil }
        // Someone may have taken an earlier slot for the same key between our scan and our
        // CAS; lookups stop at the earliest, so ours would be an orphan: give it back.
        var offset = 0
        while true {
            let slot = (home + offset) & (self.slotCount - 1)
            if slot == candidate.slot { break }
            if self.keyWord(slot).load(ordering: .sequentiallyConsistent) == key {
                _ = self.keyWord(candidate.slot).compareExchange(expected: key, desired: 0, ordering: .sequentiallyConsistent)
                return slot
            }
            offset += 1
        }
        return candidate.slot
    }

    /// Applies GCRA to the bucket in `slot`; nil when the slot turned out to belong to
    /// another key (taken between the scan and now).
    private func update(slot: Int, key: UInt64, limit: BucketLimit, now: UInt64) -> RateLimitDecision? {
        let tag = Self.tag(ofKey: key)
        let word = self.stateWord(slot)
        var state = word.load(ordering: .acquiring)
        while true {
            let arrival: UInt64
            if Self.tag(ofState: state) == tag {
                arrival = state & Self.timeMask
            } else {
                // Written for another key: either our key took this slot and nobody has
                // written its bucket yet (a fresh bucket), or another key took it from us.
                guard self.keyWord(slot).load(ordering: .sequentiallyConsistent) == key else { return nil }
                arrival = 0
            }
            let next = max(arrival, now) + limit.interval
            let ahead = next - now
            guard ahead <= limit.tolerance else {
                return RateLimitDecision(allowed: false, remaining: 0, waitMicroseconds: ahead - limit.tolerance)
            }
            let desired = tag << Self.timeBits | (next & Self.timeMask)
            let (exchanged, current) = word.compareExchange(expected: state, desired: desired, ordering: .acquiringAndReleasing)
            if exchanged {
                return RateLimitDecision(allowed: true, remaining: (limit.tolerance - ahead) / limit.interval, waitMicroseconds: ahead)
            }
            state = current
        }
    }

    /// How many slots hold a key right now (for tests and diagnostics; not atomic as a whole).
    func occupiedSlotCount() -> Int {
        (0..<self.slotCount).reduce(0) { $0 + (self.keyWord($1).load(ordering: .relaxed) == 0 ? 0 : 1) }
    }

    private static func tag(ofKey key: UInt64) -> UInt64 { key >> timeBits }
    private static func tag(ofState state: UInt64) -> UInt64 { state >> timeBits }

    private func keyWord(_ slot: Int) -> UnsafeAtomic<UInt64> { UnsafeAtomic(at: self.words + 2 * slot) }
    private func stateWord(_ slot: Int) -> UnsafeAtomic<UInt64> { UnsafeAtomic(at: self.words + 2 * slot + 1) }
}
