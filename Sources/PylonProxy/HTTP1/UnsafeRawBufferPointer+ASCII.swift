#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// Whether these bytes begin with `prefix`, byte for byte (case matters): the parsers'
    /// test for `HTTP/` and the common methods, with no String made and no generic
    /// `starts(with:)` over a `UTF8View`.
    @inline(__always)
    func hasASCIIPrefix(_ prefix: StaticString) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard self.count >= length, let base = self.baseAddress else { return length == 0 }
        return memcmp(base, prefix.utf8Start, length) == 0
    }

    /// Whether these bytes are exactly `literal`, byte for byte.
    @inline(__always)
    func equalsASCII(_ literal: StaticString) -> Bool {
        self.count == literal.utf8CodeUnitCount && self.hasASCIIPrefix(literal)
    }
}
