/// The bytes a `HeaderFields` keeps its names and values in: one allocation holding its
/// length and capacity and then the bytes, copied on write.
///
/// An `[UInt8]` did the same job at about 110 instructions per append (its generic
/// `append(contentsOf:)` checks and copies through the `Sequence` machinery); a filter
/// adding a field appends twice, and a request and its response see a dozen such appends.
/// Here an append is a uniqueness and capacity check and a `memcpy`.
struct FieldBytes: @unchecked Sendable {
    // Unchecked: the buffer is written only when this value holds the only reference to it
    // (`isKnownUniquelyReferenced`), so a copy handed to another thread is never changed.
    fileprivate struct Header {
        var count: Int
        var capacity: Int
    }

    private var buffer: ManagedBuffer<Header, UInt8>?

    /// No bytes, and no allocation until the first append.
    init() {
        self.buffer = nil
    }

    /// A copy of `bytes` with room for `extra` more.
    init(copying bytes: UnsafeRawBufferPointer, reservingExtra extra: Int) {
        self.buffer = Self.makeBuffer(capacity: bytes.count + extra, copying: bytes)
    }

    // The header is reached through pointers: `ManagedBuffer.header` is a class property,
    // and each access to it is a dynamic exclusivity check.

    var count: Int { self.buffer?.withUnsafeMutablePointerToHeader { $0.pointee.count } ?? 0 }

    var capacity: Int { self.buffer?.withUnsafeMutablePointerToHeader { $0.pointee.capacity } ?? 0 }

    /// Appends `bytes`, which must not point into this storage (growing it moves it), and
    /// says at which offset they start.
    @discardableResult
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        self.append(bytes, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Appends `first` and right after it `second` (a field's name and value), with one
    /// uniqueness and capacity check, and says at which offset `first` starts. Neither may
    /// point into this storage.
    mutating func append(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Int {
        let (start, capacity) =
            self.buffer?.withUnsafeMutablePointerToHeader { ($0.pointee.count, $0.pointee.capacity) } ?? (0, 0)
        let end = start + first.count + second.count
        if end > capacity || !isKnownUniquelyReferenced(&self.buffer) {
            self.buffer = self.buffer.withUnsafeBytes { Self.makeBuffer(capacity: max(end, 2 * capacity, 64), copying: $0) }
        }
        self.buffer!.withUnsafeMutablePointers { header, elements in
            let target = UnsafeMutableRawPointer(elements + start)
            if let source = first.baseAddress { target.copyMemory(from: source, byteCount: first.count) }
            if let source = second.baseAddress { (target + first.count).copyMemory(from: source, byteCount: second.count) }
            header.pointee.count = end
        }
        return start
    }

    /// Runs `body` over the bytes.
    @inline(__always)
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try self.buffer.withUnsafeBytes(body)
    }

    private static func makeBuffer(capacity: Int, copying bytes: UnsafeRawBufferPointer) -> ManagedBuffer<Header, UInt8> {
        let buffer = ManagedBuffer<Header, UInt8>.create(minimumCapacity: capacity) { _ in
            Header(count: bytes.count, capacity: capacity)
        }
        if let source = bytes.baseAddress {
            buffer.withUnsafeMutablePointerToElements {
                UnsafeMutableRawPointer($0).copyMemory(from: source, byteCount: bytes.count)
            }
        }
        return buffer
    }
}

extension Optional where Wrapped == ManagedBuffer<FieldBytes.Header, UInt8> {
    @inline(__always)
    fileprivate func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        guard let buffer = self else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try buffer.withUnsafeMutablePointers { header, elements in
            try body(UnsafeRawBufferPointer(start: elements, count: header.pointee.count))
        }
    }
}
