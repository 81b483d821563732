/// Comparisons of field names (and other tokens: Connection options, transfer codings) with
/// lowercase literals, for the parsers, the writers and the hop-by-hop check alike.
enum FieldName {
    /// Whether `name` is `lowercase`, ignoring ASCII case. `lowercase` holds only lowercase
    /// letters and `-`, so folding with 0x20 cannot match anything else that a token may
    /// contain.
    @inline(__always)
    static func matches(_ name: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
        guard name.count == lowercase.utf8CodeUnitCount else { return false }
        var offset = 0
        for byte in name {
            if byte | 0x20 != lowercase.utf8Start[offset] { return false }
            offset += 1
        }
        return true
    }

    /// Whether two tokens (field names, Connection options) are equal ignoring ASCII case.
    @inline(__always)
    static func equalIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        a.count == b.count && a.elementsEqual(b, by: Self.sameIgnoringCase)
    }

    /// Whether two bytes of two tokens are equal ignoring ASCII case. Only letters fold:
    /// `^` and `~` also differ in nothing but 0x20, and are different names.
    @inline(__always)
    static func sameIgnoringCase(_ a: UInt8, _ b: UInt8) -> Bool {
        a == b || (a | 0x20 == b | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(a | 0x20))
    }
}

extension String {
    /// Whether this field name is `lowercase`, ignoring ASCII case (see `FieldName.matches`).
    /// The bytes are compared in place: walking a `String.UTF8View` index by index costs
    /// several times as much.
    func isFieldName(_ lowercase: StaticString) -> Bool {
        guard self.utf8.count == lowercase.utf8CodeUnitCount else { return false }
        return self.utf8.withContiguousStorageIfAvailable { FieldName.matches($0, lowercase) }
            ?? FieldName.matches(self.utf8, lowercase)
    }
}
