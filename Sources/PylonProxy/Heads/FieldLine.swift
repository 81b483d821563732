/// Where one field's name and value sit in its `HeaderFields`' storage.
///
/// 32-bit offsets: a head is at most a few tens of KiB, and four of them keep a line in
/// 16 bytes.
struct FieldLine: Sendable, Equatable {
    var nameStart: Int32
    var nameCount: Int32
    var valueStart: Int32
    var valueCount: Int32

    @inline(__always)
    func nameBytes(in storage: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[Int(self.nameStart)..<Int(self.nameStart + self.nameCount)])
    }

    @inline(__always)
    func valueBytes(in storage: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[Int(self.valueStart)..<Int(self.valueStart + self.valueCount)])
    }

    func name(in storage: UnsafeRawBufferPointer) -> String {
        String(decoding: self.nameBytes(in: storage), as: UTF8.self)
    }

    func value(in storage: UnsafeRawBufferPointer) -> String {
        String(decoding: self.valueBytes(in: storage), as: UTF8.self)
    }

    /// Whether this field's name is `name`, ignoring ASCII case (letters fold, nothing else
    /// does: see `FieldName.sameIgnoringCase`). The lengths are compared before the bytes
    /// are reached, since most names looked for differ in length from most fields.
    @inline(__always)
    func hasName(_ name: UnsafeRawBufferPointer, in storage: UnsafeRawBufferPointer) -> Bool {
        Int(self.nameCount) == name.count && FieldName.equalIgnoringCase(self.nameBytes(in: storage), name)
    }

    /// Whether this field's name is `lowercase` (lowercase letters and `-`), ignoring case.
    @inline(__always)
    func hasName(_ lowercase: StaticString, in storage: UnsafeRawBufferPointer) -> Bool {
        Int(self.nameCount) == lowercase.utf8CodeUnitCount && FieldName.matches(self.nameBytes(in: storage), lowercase)
    }
}

extension HeaderFields {
    /// Fields over `bytes`, a head's field section as it arrived, whose lines the reader
    /// appends with `appendLine` as it validates them. Room is left for the fields and
    /// values filters typically add, so those do not copy the storage again.
    init(copyingFieldSection bytes: UnsafeRawBufferPointer, expectedLines: Int = 16) {
        self.init(storage: FieldStorage(copying: bytes, reservingExtraBytes: Self.roomForEdits, lineCapacity: expectedLines))
    }

    /// Bytes of room for added fields in a parsed head's storage.
    static var roomForEdits: Int { 192 }

    /// Adds a line whose `name` and `value` lie in `section`, the bytes this storage was
    /// copied from: their offsets there are their offsets here.
    @inline(__always)
    mutating func appendLine(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, in section: UnsafeRawBufferPointer
    ) {
        let start = section.baseAddress!
        self.storage.appendLine(
            FieldLine(
                nameStart: Int32(truncatingIfNeeded: name.baseAddress! - start),
                nameCount: Int32(truncatingIfNeeded: name.count),
                valueStart: Int32(truncatingIfNeeded: value.baseAddress! - start),
                valueCount: Int32(truncatingIfNeeded: value.count)
            )
        )
    }

    /// Runs `body` over each field's name and value bytes, in order.
    @inline(__always)
    func forEachLine(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void) rethrows {
        try self.storage.withLines { lines, bytes in
            for line in lines { try body(line.nameBytes(in: bytes), line.valueBytes(in: bytes)) }
        }
    }

    /// Removes the lines for which `shouldRemove` says so, given their names.
    mutating func removeLines(where shouldRemove: (_ name: UnsafeRawBufferPointer) -> Bool) {
        self.storage.removeLines { line, bytes in shouldRemove(line.nameBytes(in: bytes)) }
    }
}
