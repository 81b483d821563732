extension String {
    /// Whether this field name is `lowercase`, ignoring ASCII case. `lowercase` holds only
    /// lowercase letters and `-`, so folding with 0x20 cannot match anything else that a
    /// field name (a token) may contain.
    func isFieldName(_ lowercase: StaticString) -> Bool {
        guard self.utf8.count == lowercase.utf8CodeUnitCount else { return false }
        let other = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return self.utf8.elementsEqual(other, by: { $0 | 0x20 == $1 })
    }
}
