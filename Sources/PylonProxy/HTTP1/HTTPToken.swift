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
}
