/// SipHash-1-3 with a 128-bit key: how keys (client IPs, series labels, target names) are
/// turned into slots of the shared tables. Swift's `Hasher` is seeded per process, so it
/// cannot be used for memory that several processes index; SipHash with the segment's
/// key gives every worker the same answer and gives clients no way to aim at one slot.
struct SipHash {
    private var v0: UInt64
    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    private var tail: UInt64 = 0
    private var tailCount = 0
    private var length = 0

    init(key: (UInt64, UInt64)) {
        self.v0 = key.0 ^ 0x736f_6d65_7073_6575
        self.v1 = key.1 ^ 0x646f_7261_6e64_6f6d
        self.v2 = key.0 ^ 0x6c79_6765_6e65_7261
        self.v3 = key.1 ^ 0x7465_6462_7974_6573
    }

    /// The hash of `bytes` in one call.
    static func hash(_ bytes: some Sequence<UInt8>, key: (UInt64, UInt64)) -> UInt64 {
        var hasher = SipHash(key: key)
        hasher.combine(bytes)
        return hasher.finalize()
    }

    /// The hash of one 64-bit word, the same as that of its eight little-endian bytes, in
    /// one compression instead of eight byte-at-a-time steps.
    static func hash(word: UInt64, key: (UInt64, UInt64)) -> UInt64 {
        var hasher = SipHash(key: key)
        hasher.compress(word)
        hasher.length = 8
        return hasher.finalize()
    }

    /// The hash of a string's UTF-8 bytes.
    static func hash(_ string: String, key: (UInt64, UInt64)) -> UInt64 {
        var string = string
        return string.withUTF8 { hash($0, key: key) }
    }

    mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { self.combine(byte) }
    }

    mutating func combine(_ byte: UInt8) {
        self.tail |= UInt64(byte) << (8 * UInt64(self.tailCount))
        self.tailCount += 1
        self.length += 1
        if self.tailCount == 8 {
            self.compress(self.tail)
            self.tail = 0
            self.tailCount = 0
        }
    }

    consuming func finalize() -> UInt64 {
        let last = self.tail | (UInt64(truncatingIfNeeded: self.length) << 56)
        self.compress(last)
        self.v2 ^= 0xff
        for _ in 0..<3 { self.round() }
        return self.v0 ^ self.v1 ^ self.v2 ^ self.v3
    }

    private mutating func compress(_ message: UInt64) {
        self.v3 ^= message
        self.round()
        self.v0 ^= message
    }

    private mutating func round() {
        self.v0 &+= self.v1
        self.v1 = self.v1.rotatedLeft(13)
        self.v1 ^= self.v0
        self.v0 = self.v0.rotatedLeft(32)
        self.v2 &+= self.v3
        self.v3 = self.v3.rotatedLeft(16)
        self.v3 ^= self.v2
        self.v0 &+= self.v3
        self.v3 = self.v3.rotatedLeft(21)
        self.v3 ^= self.v0
        self.v2 &+= self.v1
        self.v1 = self.v1.rotatedLeft(17)
        self.v1 ^= self.v2
        self.v2 = self.v2.rotatedLeft(32)
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(_ count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
