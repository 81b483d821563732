/// RFC 9110 §5.6.2 `token` characters, which header names and methods are made of.
enum HTTPToken {
    /// Bit b is set for token byte b: `!#$%&'*+-.` and `0-9`.
    private static let lowMask: UInt64 = 0x03FF_6CFA_0000_0000
    /// Bit b is set for token byte 64 + b: `A-Z`, `^_\``, `a-z`, `|~`. A shift and a mask
    /// per byte, where a table meant a lazily initialised global and a bounds check.
    private static let highMask: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        // Without branches: every byte of every field name is asked.
        let mask = byte < 64 ? Self.lowMask : Self.highMask
        return byte < 128 && (mask >> UInt64(byte & 63)) & 1 != 0
    }

    /// Whether `name` is a valid header field name or method.
    public static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isTokenByte)
    }

    /// Whether `bytes` are a valid header field name or method.
    ///
    /// Every field a phase adds asks this of its name, and nearly every name is letters,
    /// digits and hyphens: eight bytes at a time are passed when they are all of those, and
    /// only a word with another byte in it is looked at byte by byte (about 55 instructions
    /// for a 13-byte name, against 125 byte by byte).
    static func isToken(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        let count = bytes.count
        guard count >= 8 else {
            // Padded with letters to a whole word.
            var word: UInt64 = 0x6161_6161_6161_6161
            withUnsafeMutableBytes(of: &word) { $0.copyMemory(from: bytes) }
            return Self.isAlphanumericOrHyphen(word) || bytes.allSatisfy(Self.isTokenByte)
        }
        var offset = 0
        while offset < count {
            // The last word may overlap the one before it: a byte checked twice is harmless.
            let start = min(offset, count - 8)
            let word = base.loadUnaligned(fromByteOffset: start, as: UInt64.self)
            if !Self.isAlphanumericOrHyphen(word),
                !UnsafeRawBufferPointer(start: base + start, count: 8).allSatisfy(Self.isTokenByte)
            {
                return false
            }
            offset += 8
        }
        return true
    }

    /// Whether every byte of `word` is an ASCII letter, a digit or `-`.
    @inline(__always)
    static func isAlphanumericOrHyphen(_ word: UInt64) -> Bool {
        let high: UInt64 = 0x8080_8080_8080_8080
        guard word & high == 0 else { return false }
        // With every byte below 0x80 no addition carries into the next byte: the top bit
        // of byte + (0x80 - low) says byte >= low, that of byte + (0x7F - high) byte > high.
        func within(_ word: UInt64, _ low: UInt64, _ top: UInt64) -> UInt64 {
            let ones: UInt64 = 0x0101_0101_0101_0101
            return (word &+ ones &* (0x80 - low)) & ~(word &+ ones &* (0x7F - top)) & high
        }
        let letters = within(word | 0x2020_2020_2020_2020, 0x61, 0x7A)
        let digits = within(word, 0x30, 0x39)
        let hyphens = within(word, 0x2D, 0x2D)
        return letters | digits | hyphens == high
    }
}
