/// Checks on the bytes of a field value (RFC 9110 §5.5).
enum FieldValue {
    /// Whether `value` holds a control character: a byte below 0x20 other than HTAB, or
    /// DEL. Bytes from 0x80 up (obs-text) are allowed.
    ///
    /// Eight bytes at a time: a word with no byte below 0x20 and none equal to 0x7F is
    /// passed whole, and only a word that may hold one (a tab is enough) is looked at
    /// byte by byte. Values are most of a head's bytes, so this is most of its checking.
    static func hasControlCharacter(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let base = value.baseAddress else { return false }
        let count = value.count
        guard count >= 8 else { return Self.hasControlCharacter(base, count: count) }
        var offset = 0
        while offset + 8 <= count {
            if Self.wordHasControlCharacter(base + offset) { return true }
            offset += 8
        }
        // The last bytes as the word that ends with them: a byte looked at twice is
        // harmless, and a loop over up to seven bytes cost more than the value's words.
        return offset < count && Self.wordHasControlCharacter(base + (count - 8))
    }

    @inline(__always)
    private static func wordHasControlCharacter(_ bytes: UnsafeRawPointer) -> Bool {
        Self.mayHoldControlCharacter(bytes.loadUnaligned(as: UInt64.self)) && Self.hasControlCharacter(bytes, count: 8)
    }

    /// Optional whitespace around a value or a list element (OWS: SP or HTAB).
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Never false for a word holding a byte below 0x20 or equal to 0x7F; rarely true for
    /// one that does not (a borrow can mark the byte above a real match).
    @inline(__always)
    private static func mayHoldControlCharacter(_ word: UInt64) -> Bool {
        // A byte below 0x20 borrows when 0x20 is subtracted from it; ~word keeps only the
        // bytes that had their top bit clear, so bytes from 0x80 up are not reported.
        let below0x20 = (word &- 0x20 &* Self.ones) & ~word & Self.highBits
        // A byte equal to 0x7F is zero after the XOR, and a zero byte borrows.
        let flipped = word ^ (0x7F &* Self.ones)
        let del = (flipped &- Self.ones) & ~flipped & Self.highBits
        return below0x20 | del != 0
    }

    @inline(__always)
    private static func hasControlCharacter(_ bytes: UnsafeRawPointer, count: Int) -> Bool {
        for index in 0..<count where Self.isControlCharacter(bytes.load(fromByteOffset: index, as: UInt8.self)) {
            return true
        }
        return false
    }

    /// A byte no field value may hold: a control character other than HTAB, or DEL.
    @inline(__always)
    static func isControlCharacter(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
    }
}
