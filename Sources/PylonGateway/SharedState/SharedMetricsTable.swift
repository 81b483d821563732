import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// The metric series of a whole service, in the segment's metrics region (DESIGN §4): every
/// worker of every generation that shares the segment adds to the same words, so whoever
/// renders `/metrics` shows service-wide totals that never go backwards across upgrades or
/// worker restarts.
///
/// A fixed-size open-addressed table of fixed-size slots. A slot is found by
/// SipHash(series text) with the segment's key and linear probing; it holds the series text
/// itself (`name{label="value",…}`, labels sorted), so any process can render a series some
/// other process — or an older binary — created. Slots are never freed: the set of series is
/// bounded by the config (routes, upstreams, status codes), and a full table drops new series
/// and counts them (`droppedSeries`).
///
/// Claiming is lock-free: a process CASes the slot's tag word from 0 to the series' tag, writes
/// the text and the constant values (histogram bounds), then publishes the descriptor word
/// with a release store. Readers render a slot only once its descriptor is set, and a process
/// looking for the same series spins briefly on a claimed-but-unpublished slot with its tag.
/// Every word is accessed through atomics; all-zero memory is an empty table.
struct SharedMetricsTable: @unchecked Sendable {
    // @unchecked: a pointer into shared memory that is only touched through atomics.

    /// What a slot counts; stored in its descriptor, so a renderer knows how to read it.
    enum Kind: UInt64, Sendable {
        /// One word, only ever added to.
        case counter = 1
        /// One word holding a `Double`'s bit pattern, stored or raised.
        case gauge = 2
        /// Bucket bounds, a count per bucket (and one past the last bound), and a sum.
        case histogram = 3
    }

    /// One series as a renderer sees it.
    struct Sample: Sendable, Equatable {
        var text: String
        var value: Value
    }

    enum Value: Sendable, Equatable {
        case counter(UInt64)
        case gauge(Double)
        /// `counts` has one entry per bound plus the overflow bucket (not cumulative);
        /// bounds and sum are in nanoseconds.
        case histogram(bounds: [UInt64], counts: [UInt64], sumNanoseconds: UInt64)
    }

    static let slotByteCount = 1024
    /// The table's own words before the first slot: word 0 counts dropped series.
    static let headerByteCount = 1024
    static let wordsPerSlot = slotByteCount / 8
    /// Word offsets within a slot.
    static let tagWord = 0
    static let descriptorWord = 1
    static let valueWord = 2
    static let valueWordCount = 40
    static let textWord = valueWord + valueWordCount
    /// The longest series text a slot holds (bytes).
    static let maximumTextLength = (wordsPerSlot - textWord) * 8
    /// The most histogram bounds a slot holds: a bound count, the bounds, a count per bucket
    /// plus overflow, and the sum.
    static let maximumBucketBounds = (valueWordCount - 3) / 2

    private static let readyBit: UInt64 = 1 << 63
    /// How long a lookup waits for a claimed slot with its tag to be published before it
    /// treats the claim as abandoned (a process killed mid-claim) and probes on.
    private static let publishSpinLimit = 100_000

    private let base: UnsafeMutableRawPointer
    let slotCount: Int
    private let hashKey: (UInt64, UInt64)
    /// Keeps the mapping alive as long as any copy of the table (or a series handed out by
    /// one, through whoever keeps the table) may touch it.
    private let segment: SharedMemorySegment?

    /// The table in `segment`'s metrics region.
    init(segment: SharedMemorySegment) {
        self.init(region: segment.metrics, hashKey: segment.hashKey, owner: segment)
    }

    /// A table over `region`, zeroed memory that `owner` (if any) keeps mapped; the caller
    /// keeps it alive otherwise.
    init(region: UnsafeMutableRawBufferPointer, hashKey: (UInt64, UInt64), owner: SharedMemorySegment? = nil) {
        precondition(region.count >= Self.headerByteCount + Self.slotByteCount, "metrics region too small")
        self.base = region.baseAddress!
        self.slotCount = (region.count - Self.headerByteCount) / Self.slotByteCount
        self.hashKey = hashKey
        self.segment = owner
    }

    // MARK: Finding and claiming series

    /// The slot for `key`, claimed and set up if no process has created it yet; nil when the
    /// table is full or the text does not fit a slot (counted in `droppedSeries`).
    ///
    /// May probe the whole table: call it once per series and keep the result.
    func series(_ key: MetricSeriesKey, kind: Kind, bucketBounds: [UInt64] = []) -> SharedMetricSeries? {
        precondition(kind == .histogram || bucketBounds.isEmpty, "only histograms have buckets")
        precondition(bucketBounds.count <= Self.maximumBucketBounds, "too many histogram buckets")
        let text = Array(key.text.utf8)
        guard text.count <= Self.maximumTextLength else {
            self.droppedWord.wrappingIncrement(ordering: .relaxed)
            return nil
        }
        let textWords = Self.packed(text)
        let hash = SipHash.hash(text, key: self.hashKey)
        // Never 0: 0 is an empty slot.
        let tag = hash | 1
        let descriptor = Self.readyBit | kind.rawValue << 32 | UInt64(text.count)
        let start = Int(hash % UInt64(self.slotCount))
        for probe in 0..<self.slotCount {
            let slot = self.slot((start + probe) % self.slotCount)
            let (claimed, found) = Self.word(slot, Self.tagWord).compareExchange(
                expected: 0, desired: tag, ordering: .acquiringAndReleasing
            )
            if claimed {
                Self.write(slot, textWords: textWords, kind: kind, bucketBounds: bucketBounds)
                Self.word(slot, Self.descriptorWord).store(descriptor, ordering: .releasing)
                return SharedMetricSeries(slot: slot)
            }
            guard found == tag, let published = Self.waitForDescriptor(slot) else { continue }
            if published == descriptor && Self.textMatches(slot, textWords) {
                return SharedMetricSeries(slot: slot)
            }
            // A different series with the same 63-bit tag, or the same text recorded as
            // another kind by another binary: keep probing.
        }
        self.droppedWord.wrappingIncrement(ordering: .relaxed)
        return nil
    }

    /// Series that could not be recorded because the table was full or their text too long
    /// (each process counts each such series once, since it remembers the refusal).
    var droppedSeries: UInt64 { self.droppedWord.load(ordering: .relaxed) }

    // MARK: Reading every series

    /// Every published series, in slot order.
    func samples() -> [Sample] {
        var result: [Sample] = []
        for index in 0..<self.slotCount {
            let slot = self.slot(index)
            let descriptor = Self.word(slot, Self.descriptorWord).load(ordering: .acquiring)
            guard descriptor & Self.readyBit != 0, let kind = Kind(rawValue: (descriptor >> 32) & 0xFF) else { continue }
            let length = Int(descriptor & 0xFFFF)
            guard length <= Self.maximumTextLength else { continue }
            let text = Self.readText(slot, length: length)
            let value: Value
            switch kind {
            case .counter:
                value = .counter(Self.word(slot, Self.valueWord).load(ordering: .relaxed))
            case .gauge:
                value = .gauge(Double(bitPattern: Self.word(slot, Self.valueWord).load(ordering: .relaxed)))
            case .histogram:
                let layout = HistogramLayout(slot)
                let bounds = (0..<layout.boundCount).map { Self.word(slot, layout.boundWord($0)).load(ordering: .relaxed) }
                let counts = (0...layout.boundCount).map { Self.word(slot, layout.countWord($0)).load(ordering: .relaxed) }
                value = .histogram(bounds: bounds, counts: counts, sumNanoseconds: Self.word(slot, layout.sumWord).load(ordering: .relaxed))
            }
            result.append(Sample(text: text, value: value))
        }
        return result
    }

    // MARK: Slots

    private var droppedWord: UnsafeAtomic<UInt64> { Self.word(self.base, 0) }

    private func slot(_ index: Int) -> UnsafeMutableRawPointer {
        self.base + Self.headerByteCount + index * Self.slotByteCount
    }

    static func word(_ slot: UnsafeMutableRawPointer, _ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (slot + index * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// The claimer's writes before publishing: the text and, for a histogram, its bounds.
    private static func write(_ slot: UnsafeMutableRawPointer, textWords: [UInt64], kind: Kind, bucketBounds: [UInt64]) {
        for (index, word) in textWords.enumerated() {
            Self.word(slot, Self.textWord + index).store(word, ordering: .relaxed)
        }
        if kind == .histogram {
            Self.word(slot, Self.valueWord).store(UInt64(bucketBounds.count), ordering: .relaxed)
            let layout = HistogramLayout(boundCount: bucketBounds.count)
            for (index, bound) in bucketBounds.enumerated() {
                Self.word(slot, layout.boundWord(index)).store(bound, ordering: .relaxed)
            }
        }
    }

    /// The slot's descriptor once its claimer published it; nil if it never does.
    private static func waitForDescriptor(_ slot: UnsafeMutableRawPointer) -> UInt64? {
        let word = Self.word(slot, Self.descriptorWord)
        for spin in 0..<Self.publishSpinLimit {
            let descriptor = word.load(ordering: .acquiring)
            if descriptor & Self.readyBit != 0 { return descriptor }
            // A claim is a few dozen stores: yield only if its writer was descheduled.
            if spin > 100 { sched_yield() }
        }
        return nil
    }

    private static func textMatches(_ slot: UnsafeMutableRawPointer, _ textWords: [UInt64]) -> Bool {
        for (index, word) in textWords.enumerated() where Self.word(slot, Self.textWord + index).load(ordering: .relaxed) != word {
            return false
        }
        return true
    }

    private static func readText(_ slot: UnsafeMutableRawPointer, length: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        var index = 0
        while bytes.count < length {
            let word = Self.word(slot, Self.textWord + index).load(ordering: .relaxed)
            for shift in stride(from: 0, to: 64, by: 8) where bytes.count < length {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Bytes as little-endian words (the last one zero-padded).
    private static func packed(_ bytes: [UInt8]) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        for (index, byte) in bytes.enumerated() {
            words[index / 8] |= UInt64(byte) << UInt64(8 * (index % 8))
        }
        return words
    }
}

/// Where a histogram slot keeps its words: `valueWord` holds the bound count n, then come
/// n bounds, n + 1 bucket counts (the last for values above every bound), and the sum.
struct HistogramLayout {
    let boundCount: Int

    init(boundCount: Int) { self.boundCount = boundCount }

    /// Reads the bound count from a published slot (clamped, so a damaged word cannot send
    /// a reader outside the slot).
    init(_ slot: UnsafeMutableRawPointer) {
        let stored = SharedMetricsTable.word(slot, SharedMetricsTable.valueWord).load(ordering: .relaxed)
        self.boundCount = Int(min(stored, UInt64(SharedMetricsTable.maximumBucketBounds)))
    }

    func boundWord(_ index: Int) -> Int { SharedMetricsTable.valueWord + 1 + index }
    func countWord(_ bucket: Int) -> Int { SharedMetricsTable.valueWord + 1 + self.boundCount + bucket }
    var sumWord: Int { SharedMetricsTable.valueWord + 2 + 2 * self.boundCount }
}
