/// RFC 9110 §5.6.2 `token` characters, which header names and methods are made of.
enum HTTPToken {
    /// Bit b is set for token byte b: `!#$%&'*+-.` and `0-9`.
    private static let lowMask: UInt64 = 0x03FF_6CFA_0000_0000
    /// Bit b is set for token byte 64 + b: `A-Z`, `^_\``, `a-z`, `|~`. A shift and a mask
    /// per byte, where a table meant a lazily initialised global and a bounds check.
    private static let highMask: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return Self.lowMask & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return Self.highMask & (1 << UInt64(byte - 64)) != 0 }
        return false
    }

    /// Whether `name` is a valid header field name or method.
    public static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isTokenByte)
    }
}
