import Atomics

/// Makes request IDs: random-looking UUID v4 text (`3f2b…-…-4…-8…-…`), unique within the
/// process, with no lock and no system call per request.
///
/// Each ID is SipHash, under a key drawn once from the system's random source, of a
/// process-wide counter: a lock-free increment and two short hashes. Distinct counters
/// give distinct 122-bit values with overwhelming probability, other workers' keys
/// differ, and without the key the next ID cannot be guessed from earlier ones.
final class RequestIDGenerator: Sendable {
    private let counter = ManagedAtomic<UInt64>(0)
    private let key: (UInt64, UInt64)

    init() {
        var random = SystemRandomNumberGenerator()
        self.key = (random.next(), random.next())
    }

    init(key: (UInt64, UInt64)) {
        self.key = key
    }

    func next() -> UUIDText {
        let sequence = self.counter.loadThenWrappingIncrement(ordering: .relaxed)
        // Two one-word messages per ID, told apart by the top bit, which a counter of
        // requests never reaches.
        return Self.uuidText(
            high: SipHash.hash(word: sequence, key: self.key),
            low: SipHash.hash(word: sequence | 1 << 63, key: self.key)
        )
    }

    /// The RFC 9562 text of a version 4 (random) UUID made from 128 bits: the version
    /// nibble and the variant bits are overwritten.
    static func uuidText(high: UInt64, low: UInt64) -> UUIDText {
        let high = (high & ~0xF000) | 0x4000
        let low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var text = UUIDText(bytes: (0, 0, 0, 0, 0))
        withUnsafeMutableBytes(of: &text.bytes) { text in
            // "-xxxx-xxxx" at `offset`: the eight digits of `half`, in two groups of four.
            func putTwoGroups(of half: UInt32, at offset: Int) {
                withUnsafeBytes(of: Self.hexDigits(half)) { digits in
                    text[offset] = UInt8(ascii: "-")
                    text[(offset + 1)..<(offset + 5)].copyBytes(from: digits[0..<4])
                    text[offset + 5] = UInt8(ascii: "-")
                    text[(offset + 6)..<(offset + 10)].copyBytes(from: digits[4..<8])
                }
            }
            // 8-4-4-4-12 digits: the high word's first 8, then its last 8 as 4-4, then the
            // low word's first 8 as 4-4, then its last 8 after the 4 before them.
            text.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: high >> 32)), toByteOffset: 0, as: UInt64.self)
            putTwoGroups(of: UInt32(truncatingIfNeeded: high), at: 8)
            putTwoGroups(of: UInt32(truncatingIfNeeded: low >> 32), at: 18)
            text.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: low)), toByteOffset: 28, as: UInt64.self)
        }
        return text
    }

    /// The eight lowercase hex digits of `value`, most significant first, as the bytes of a
    /// word in memory order: each nibble is spread into a byte of its own and turned into
    /// ASCII with word-wide arithmetic, no table and no branch.
    static func hexDigits(_ value: UInt32) -> UInt64 {
        var word = UInt64(value)
        word = (word & 0xFFFF_0000) << 16 | word & 0xFFFF
        word = (word & 0x0000_FF00_0000_FF00) << 8 | word & 0x0000_00FF_0000_00FF
        word = (word & 0x00F0_00F0_00F0_00F0) << 4 | word & 0x000F_000F_000F_000F
        // Byte k holds nibble k, the least significant first. A nibble from 10 up carries
        // into bit 4 when 6 is added: those bytes get the 39 that takes '9' + 1 to 'a'.
        let letters = (word &+ 0x0606_0606_0606_0606) >> 4 & 0x0101_0101_0101_0101
        word = word &+ 0x3030_3030_3030_3030 &+ letters &* 39
        // The most significant digit goes first in memory: big-endian order.
        return word.bigEndian
    }
}
