/// Finding the bytes that delimit a head's lines and fields, eight bytes at a time.
///
/// Head lines are short (a field is 20–40 bytes): `memchr` costs about 45 instructions a
/// call however little it searches, and the scanner called it twice per line, the reader
/// once more. A word-at-a-time loop inlined in the caller costs a few instructions per
/// eight bytes.
enum LineBreakSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// A word with the top bit set in the byte where `word` holds `byte`. Only the lowest
    /// set bit is exact (a borrow can mark a byte above a real match), which is the one a
    /// forward search reads.
    @inline(__always)
    static func matches(_ byte: UInt8, in word: UInt64) -> UInt64 {
        let flipped = word ^ (UInt64(byte) &* Self.ones)
        return (flipped &- Self.ones) & ~flipped & Self.highBits
    }

    /// The offset of the first CR or LF in `base[from..<to]`, or nil.
    @inline(__always)
    static func firstLineBreak(in base: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        var offset = from
        while offset + 8 <= to {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let found = Self.matches(UInt8(ascii: "\r"), in: word) | Self.matches(UInt8(ascii: "\n"), in: word)
            if found != 0 { return offset + found.trailingZeroBitCount / 8 }
            offset += 8
        }
        while offset < to {
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") { return offset }
            offset += 1
        }
        return nil
    }

    /// The offset of the first `byte` in `base[from..<to]`, or nil.
    @inline(__always)
    static func first(_ byte: UInt8, in base: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        var offset = from
        while offset + 8 <= to {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let found = Self.matches(byte, in: word)
            if found != 0 { return offset + found.trailingZeroBitCount / 8 }
            offset += 8
        }
        while offset < to {
            if base.load(fromByteOffset: offset, as: UInt8.self) == byte { return offset }
            offset += 1
        }
        return nil
    }
}
