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

    func next() -> String {
        let sequence = self.counter.loadThenWrappingIncrement(ordering: .relaxed)
        return Self.uuidText(high: self.hash(sequence, half: 0), low: self.hash(sequence, half: 1))
    }

    private func hash(_ sequence: UInt64, half: UInt8) -> UInt64 {
        var hasher = SipHash(key: self.key)
        withUnsafeBytes(of: sequence.littleEndian) { hasher.combine($0) }
        hasher.combine(half)
        return hasher.finalize()
    }

    /// The RFC 9562 text of a version 4 (random) UUID made from 128 bits: the version
    /// nibble and the variant bits are overwritten.
    static func uuidText(high: UInt64, low: UInt64) -> String {
        let high = (high & ~0xF000) | 0x4000
        let low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[index] = digits.utf8Start[Int(value >> UInt64(shift) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16 & 0xFFFF, nibbles: 4)
            dash()
            put(high & 0xFFFF, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return index
        }
    }
}
