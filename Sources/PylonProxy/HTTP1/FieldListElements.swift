/// The elements of a comma-separated field value (RFC 9110 §5.6.1), each with its
/// surrounding whitespace trimmed, read straight from the head's bytes. Empty elements
/// are returned too: whether they are allowed depends on the field.
struct FieldListElements: Sequence, IteratorProtocol {
    private let value: UnsafeRawBufferPointer
    private var position = 0
    private var finished = false

    init(_ value: UnsafeRawBufferPointer) {
        self.value = value
    }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard !self.finished else { return nil }
        var end = self.position
        while end < self.value.count, self.value[end] != UInt8(ascii: ",") { end += 1 }
        var start = self.position
        var trimmedEnd = end
        while start < trimmedEnd, FieldValue.isWhitespace(self.value[start]) { start += 1 }
        while trimmedEnd > start, FieldValue.isWhitespace(self.value[trimmedEnd - 1]) { trimmedEnd -= 1 }
        if end == self.value.count { self.finished = true } else { self.position = end + 1 }
        return UnsafeRawBufferPointer(rebasing: self.value[start..<trimmedEnd])
    }
}
