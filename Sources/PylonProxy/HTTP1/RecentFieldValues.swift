#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The long field values of the last head a connection read, by field position, for the
/// next head to reuse where its bytes are the same.
///
/// A value over 15 bytes does not fit in a String's inline storage: making one costs an
/// allocation and a validating copy, and freeing it another call into the allocator. The
/// heads of one connection repeat themselves: a browser sends the same User-Agent,
/// Accept-* and Cookie with every request, and an upstream the same Server and
/// Content-Type, and the same Date for a second. Comparing the bytes with the String kept
/// from the last head costs a `memcmp`; on a match the head shares that String.
///
/// Only the bytes decide: a String is reused only when its UTF-8 is byte for byte what
/// arrived, which is exactly the String decoding those bytes would make. What is kept is
/// bounded (`maxFields` values of at most `maxValueBytes`), and replaced by every head.
struct RecentFieldValues: Sendable {
    static let maxFields = 32
    static let maxValueBytes = 256
    /// Shorter values are inline Strings: making one allocates nothing, and comparing
    /// first would only add work.
    static let minValueBytes = 16

    private var values: [String] = []

    /// The String of `bytes`, the value of the head's field at `index`.
    mutating func value(_ bytes: UnsafeRawBufferPointer, at index: Int) -> String {
        guard (Self.minValueBytes...Self.maxValueBytes).contains(bytes.count), index < Self.maxFields else {
            return String(decoding: bytes, as: UTF8.self)
        }
        while self.values.count <= index { self.values.append("") }
        var kept = self.values[index]
        if kept.utf8.count == bytes.count, kept.withUTF8({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
            return kept
        }
        let value = String(decoding: bytes, as: UTF8.self)
        self.values[index] = value
        return value
    }
}
