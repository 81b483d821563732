/// The field lines of a request or response head, kept as the bytes they arrived in.
///
/// A parsed head's fields are one copy of its bytes and a list of where each name and
/// value sits in them; no String is made for a field nobody asks about. A field that is
/// added, or given a new value, has its bytes appended to the same storage. What goes on
/// to the next hop is written from those bytes, so a field passes through the proxy
/// exactly as it came, obs-text included, while `first(name:)` and the like hand out
/// Strings (invalid UTF-8 repaired) only when asked.
///
/// Names compare ignoring ASCII case (RFC 9110 §5.1) and keep the case they were given
/// in; fields keep their order. The methods are those of NIOHTTP1's `HTTPHeaders`, whose
/// place this takes in the proxy's heads.
///
/// What a phase adds cannot break the head it goes into, whatever the value came from:
/// as swift-http-types' `HTTPField` does, a value's control bytes (CR and LF included)
/// become spaces, and a field whose name is not a token (RFC 9110 §5.1) is not added.
/// Written as given, either would let a value end the line and start another: a field
/// or a whole response the next hop never sent.
public struct HeaderFields: Sendable {
    /// The fields in order, as offsets into every name and value's bytes. Parsed heads
    /// start out as the head's own field bytes; added fields and new values are appended.
    /// Plain offsets: copying or freeing the lines touches no reference counts, where a
    /// list of String pairs costs two per field.
    var storage: FieldStorage

    /// Fields with nothing in them yet.
    public init() {
        self.storage = FieldStorage()
    }

    /// Fields from `(name, value)` pairs, in order.
    public init(_ fields: [(String, String)]) {
        self.init()
        self.reserveCapacity(fields.count)
        for (name, value) in fields { self.add(name: name, value: value) }
    }

    init(storage: FieldStorage) {
        self.storage = storage
    }

    /// How many field lines there are.
    public var count: Int { self.storage.lineCount }

    public var isEmpty: Bool { self.storage.lineCount == 0 }

    /// Makes room for `count` fields in all.
    mutating func reserveCapacity(_ count: Int) {
        self.storage.reserve(lines: Swift.max(count - self.storage.lineCount, 0), bytes: 0)
    }

    /// Appends a field line, after every other; names are not merged. A name that is not a
    /// token adds nothing, and a value's control bytes become spaces (see above).
    public mutating func add(name: String, value: String) {
        Self.withBytes(of: name) { name in
            guard HTTPToken.isToken(name) else { return }
            Self.withBytes(of: value) { self.append(name: name, value: $0) }
        }
    }

    /// Appends a field whose name Pylon spells itself, a literal token: `add(name:value:)`
    /// without checking the name, for the fields the framework adds to every exchange.
    mutating func add(literalName name: StaticString, value: String) {
        name.withUTF8Buffer { name in
            let name = UnsafeRawBufferPointer(name)
            assert(HTTPToken.isToken(name), "a literal field name that is not a token")
            Self.withBytes(of: value) { self.append(name: name, value: $0) }
        }
    }

    /// Appends a field whose name is known to be a token; neither may point into the storage.
    private mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        // The line, the name and the value go in together: one uniqueness and capacity check.
        Self.withLegalBytes(of: value) { self.storage.appendField(name: name, value: $0) }
    }

    /// Appends every pair of `fields`, in order.
    public mutating func add(contentsOf fields: some Sequence<(String, String)>) {
        for (name, value) in fields { self.add(name: name, value: value) }
    }

    /// Adds a field before every other.
    mutating func insertFirst(name: String, value: String) {
        let count = self.count
        self.add(name: name, value: value)
        // A refused name added nothing, and the last line is another field.
        guard self.count > count else { return }
        self.storage.moveLastLineFirst()
    }

    /// Gives the field at `index` a new value, keeping its name and place.
    mutating func setValue(_ value: String, at index: Int) {
        let start = self.appendValue(value)
        self.storage.modifyLines { lines, _ in
            lines[index].valueStart = start
            lines[index].valueCount = Int32(value.utf8.count)
        }
    }

    /// Removes every field named `name`.
    public mutating func remove(name: String) {
        Self.withBytes(of: name) { self.remove(name: $0) }
    }

    /// Removes every field named `name`, which the storage does not hold.
    private mutating func remove(name: UnsafeRawBufferPointer) {
        // Most removals find nothing: look before removing makes the storage unique.
        guard self.firstIndex(name: name) != nil else { return }
        self.storage.removeLines { line, bytes in line.hasName(name, in: bytes) }
    }

    /// Removes every field named `name` and adds one with `value`, after the others.
    public mutating func replaceOrAdd(name: String, value: String) {
        self.remove(name: name)
        self.add(name: name, value: value)
    }

    /// Appends a field with a name checked when it was made: `add(name:value:)` without
    /// checking it again.
    public mutating func add(_ name: HeaderFieldName, value: String) {
        name.withBytes { name in Self.withBytes(of: value) { self.append(name: name, value: $0) } }
    }

    /// Removes every field named `name` and adds one with `value`, after the others.
    public mutating func replaceOrAdd(_ name: HeaderFieldName, value: String) {
        Self.withBytes(of: value) { self.replaceOrAdd(name, value: $0) }
    }

    /// Removes every field named `name` and adds one whose value is `value`'s bytes (its
    /// control bytes made spaces, as `add(name:value:)` does), after the others. For values
    /// a phase keeps as bytes, such as an ID it made: no String is needed to add them.
    public mutating func replaceOrAdd(_ name: HeaderFieldName, value: UnsafeRawBufferPointer) {
        name.withBytes { name in
            self.remove(name: name)
            self.append(name: name, value: value)
        }
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: HeaderFieldName) {
        name.withBytes { self.remove(name: $0) }
    }

    /// Whether a field named `name` is present.
    public func contains(_ name: HeaderFieldName) -> Bool {
        name.withBytes { self.firstIndex(name: $0) != nil }
    }

    /// The value of the first field named `name`, if any.
    public func first(name: String) -> String? {
        self.firstIndex(name: name).map { self.value(at: $0) }
    }

    /// Every value of the fields named `name`, in order; each field line is one value,
    /// as it was sent (a line's comma-separated list is not split).
    public subscript(name: String) -> [String] {
        var values: [String] = []
        Self.withBytes(of: name) { name in
            self.storage.withLines { lines, bytes in
                for line in lines where line.hasName(name, in: bytes) {
                    values.append(line.value(in: bytes))
                }
            }
        }
        return values
    }

    /// Whether a field named `name` is present.
    public func contains(name: String) -> Bool {
        self.firstIndex(name: name) != nil
    }

    /// The index of the first field named `name`.
    func firstIndex(name: String) -> Int? {
        Self.withBytes(of: name) { self.firstIndex(name: $0) }
    }

    /// Whether a field is named `name`, a literal.
    func contains(literalName name: StaticString) -> Bool {
        name.withUTF8Buffer { self.firstIndex(name: UnsafeRawBufferPointer($0)) != nil }
    }

    private func firstIndex(name: UnsafeRawBufferPointer) -> Int? {
        self.storage.withLines { lines, bytes in
            lines.firstIndex { $0.hasName(name, in: bytes) }
        }
    }

    /// The name of the field at `index` as a String.
    func name(at index: Int) -> String {
        self.storage.withLines { lines, bytes in lines[index].name(in: bytes) }
    }

    /// The value of the field at `index` as a String.
    func value(at index: Int) -> String {
        self.storage.withLines { lines, bytes in lines[index].value(in: bytes) }
    }

    /// Appends `value`'s bytes to the storage, each control byte but HTAB as a space, and
    /// says where they start.
    private mutating func appendValue(_ value: String) -> Int32 {
        Self.withBytes(of: value) { bytes in
            Int32(Self.withLegalBytes(of: bytes) { self.storage.append($0) })
        }
    }

    /// Runs `body` over `value`'s bytes with each control byte but HTAB made a space: the
    /// bytes themselves after one word-at-a-time pass in the common case, a repaired copy
    /// only for a value that needs it. The count is the same either way.
    private static func withLegalBytes<Result>(
        of value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        guard FieldValue.hasControlCharacter(value) else { return body(value) }
        let legal = value.map { FieldValue.isControlCharacter($0) ? UInt8(ascii: " ") : $0 }
        return legal.withUnsafeBytes(body)
    }

    /// Runs `body` over `text`'s UTF-8 bytes: in place for a native String, without the
    /// copy `withUTF8` would make of it.
    private static func withBytes<Result>(of text: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var text = text
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}

extension HeaderFields: Sequence {
    public typealias Element = (name: String, value: String)

    /// The fields in order, each made into a pair of Strings as it is reached.
    public struct Iterator: IteratorProtocol {
        let fields: HeaderFields
        var index = 0

        public mutating func next() -> Element? {
            guard self.index < self.fields.count else { return nil }
            defer { self.index += 1 }
            return (self.fields.name(at: self.index), self.fields.value(at: self.index))
        }
    }

    public func makeIterator() -> Iterator { Iterator(fields: self) }

    public var underestimatedCount: Int { self.count }
}

extension HeaderFields: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension HeaderFields: Equatable {
    /// Equal when both hold the same fields in the same order: names ignoring ASCII case,
    /// values byte for byte.
    public static func == (lhs: HeaderFields, rhs: HeaderFields) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.storage.withLines { leftLines, left in
            rhs.storage.withLines { rightLines, right in
                zip(leftLines, rightLines).allSatisfy { a, b in
                    a.hasName(b.nameBytes(in: right), in: left)
                        && a.valueBytes(in: left).elementsEqual(b.valueBytes(in: right))
                }
            }
        }
    }
}

extension HeaderFields: CustomStringConvertible {
    public var description: String {
        "[" + self.map { "(\"\($0.name)\", \"\($0.value)\")" }.joined(separator: ", ") + "]"
    }
}
