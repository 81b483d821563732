/// What a `HeaderFields` holds: its lines (where each name and value sits) and then the
/// bytes they point into, in one allocation that is copied on write.
///
/// Lines and bytes were an `[FieldLine]` and a buffer of their own: two allocations and two
/// frees per head, three heads per proxied request. One buffer halves that, and a head's
/// uniqueness and capacity are one check for both.
///
/// An append is a uniqueness and capacity check and a `memcpy`: an `[UInt8]`'s generic
/// `append(contentsOf:)` cost about 110 instructions, and a request and its response see a
/// dozen appends.
///
/// Memory after the header: `lineCapacity` lines, then `byteCapacity` bytes. A line's
/// offsets count from the start of the bytes, so growing either part moves nothing they
/// say.
struct FieldStorage: @unchecked Sendable {
    // Unchecked: the buffer is written only when this value holds the only reference to it
    // (`isKnownUniquelyReferenced`), so a copy handed to another thread is never changed.
    fileprivate struct Header {
        var lineCount: Int
        var lineCapacity: Int
        var byteCount: Int
        var byteCapacity: Int
    }

    private var buffer: ManagedBuffer<Header, FieldLine>?

    /// Nothing, and no allocation until the first append.
    init() {
        self.buffer = nil
    }

    /// A copy of `bytes` with room for `extraBytes` more, and for `lineCapacity` lines.
    init(copying bytes: UnsafeRawBufferPointer, reservingExtraBytes extraBytes: Int, lineCapacity: Int) {
        self.buffer = Self.makeBuffer(
            lineCapacity: lineCapacity, byteCapacity: bytes.count + extraBytes,
            lines: UnsafeBufferPointer(start: nil, count: 0), bytes: bytes
        )
    }

    // The header is reached through pointers: `ManagedBuffer.header` is a class property,
    // and each access to it is a dynamic exclusivity check.

    var lineCount: Int { self.buffer?.withUnsafeMutablePointerToHeader { $0.pointee.lineCount } ?? 0 }

    var byteCount: Int { self.buffer?.withUnsafeMutablePointerToHeader { $0.pointee.byteCount } ?? 0 }

    var byteCapacity: Int { self.buffer?.withUnsafeMutablePointerToHeader { $0.pointee.byteCapacity } ?? 0 }

    /// Runs `body` over the lines and the bytes.
    @inline(__always)
    func withLines<Result>(
        _ body: (UnsafeBufferPointer<FieldLine>, UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        guard let buffer = self.buffer else {
            return try body(UnsafeBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try buffer.withUnsafeMutablePointers { header, lines in
            try body(
                UnsafeBufferPointer(start: lines, count: header.pointee.lineCount),
                UnsafeRawBufferPointer(start: lines + header.pointee.lineCapacity, count: header.pointee.byteCount)
            )
        }
    }

    /// Runs `body` over the bytes.
    @inline(__always)
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try self.withLines { _, bytes in try body(bytes) }
    }

    /// Appends `bytes` (a new value for a field) to the bytes, and says at which offset they
    /// start. They may not point into this storage.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let start = self.byteCount
        self.reserve(lines: 0, bytes: bytes.count)
        self.buffer!.withUnsafeMutablePointers { header, lines in
            if let source = bytes.baseAddress {
                (UnsafeMutableRawPointer(lines + header.pointee.lineCapacity) + start).copyMemory(from: source, byteCount: bytes.count)
            }
            header.pointee.byteCount = start + bytes.count
        }
        return start
    }

    /// Appends a field: `name` and right after it `value` to the bytes, and the line saying
    /// where they are. Neither may point into this storage.
    @inline(__always)
    mutating func appendField(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        self.reserve(lines: 1, bytes: name.count + value.count)
        self.buffer!.withUnsafeMutablePointers { header, lines in
            let start = header.pointee.byteCount
            let target = UnsafeMutableRawPointer(lines + header.pointee.lineCapacity) + start
            if let source = name.baseAddress { target.copyMemory(from: source, byteCount: name.count) }
            if let source = value.baseAddress { (target + name.count).copyMemory(from: source, byteCount: value.count) }
            header.pointee.byteCount = start + name.count + value.count
            (lines + header.pointee.lineCount).initialize(
                to: FieldLine(
                    nameStart: Int32(start), nameCount: Int32(name.count),
                    valueStart: Int32(start + name.count), valueCount: Int32(value.count)
                )
            )
            header.pointee.lineCount += 1
        }
    }

    /// Appends a line after the others.
    @inline(__always)
    mutating func appendLine(_ line: FieldLine) {
        self.reserve(lines: 1, bytes: 0)
        self.buffer!.withUnsafeMutablePointers { header, lines in
            (lines + header.pointee.lineCount).initialize(to: line)
            header.pointee.lineCount += 1
        }
    }

    /// Runs `body` over the lines to change them (not their number).
    mutating func modifyLines<Result>(_ body: (UnsafeMutableBufferPointer<FieldLine>, UnsafeRawBufferPointer) -> Result) -> Result {
        self.reserve(lines: 0, bytes: 0)
        return self.buffer!.withUnsafeMutablePointers { header, lines in
            body(
                UnsafeMutableBufferPointer(start: lines, count: header.pointee.lineCount),
                UnsafeRawBufferPointer(start: lines + header.pointee.lineCapacity, count: header.pointee.byteCount)
            )
        }
    }

    /// Removes the lines `shouldRemove` picks, keeping the others in order. The bytes stay.
    mutating func removeLines(where shouldRemove: (FieldLine, UnsafeRawBufferPointer) -> Bool) {
        guard self.buffer != nil else { return }
        self.reserve(lines: 0, bytes: 0)
        self.buffer!.withUnsafeMutablePointers { header, lines in
            let bytes = UnsafeRawBufferPointer(start: lines + header.pointee.lineCapacity, count: header.pointee.byteCount)
            var kept = 0
            for index in 0..<header.pointee.lineCount where !shouldRemove(lines[index], bytes) {
                lines[kept] = lines[index]
                kept += 1
            }
            header.pointee.lineCount = kept
        }
    }

    /// Moves the last line before every other.
    mutating func moveLastLineFirst() {
        self.modifyLines { lines, _ in
            guard let last = lines.last else { return }
            var index = lines.count - 1
            while index > 0 {
                lines[index] = lines[index - 1]
                index -= 1
            }
            lines[0] = last
        }
    }

    /// Makes this storage the only reference to its buffer, with room for `lines` more
    /// lines and `bytes` more bytes: copies it if it is shared or too small.
    @inline(__always)
    mutating func reserve(lines: Int, bytes: Int) {
        let (lineCount, lineCapacity, byteCount, byteCapacity) =
            self.buffer?.withUnsafeMutablePointerToHeader {
                ($0.pointee.lineCount, $0.pointee.lineCapacity, $0.pointee.byteCount, $0.pointee.byteCapacity)
            } ?? (0, 0, 0, 0)
        if lineCount + lines <= lineCapacity, byteCount + bytes <= byteCapacity, isKnownUniquelyReferenced(&self.buffer) {
            return
        }
        self.grow(
            lineCapacity: lineCount + lines <= lineCapacity ? lineCapacity : max(lineCount + lines, 2 * lineCapacity, 8),
            byteCapacity: byteCount + bytes <= byteCapacity ? byteCapacity : max(byteCount + bytes, 2 * byteCapacity, 64)
        )
    }

    private mutating func grow(lineCapacity: Int, byteCapacity: Int) {
        self.buffer = self.withLines { lines, bytes in
            Self.makeBuffer(lineCapacity: lineCapacity, byteCapacity: byteCapacity, lines: lines, bytes: bytes)
        }
    }

    private static func makeBuffer(
        lineCapacity: Int, byteCapacity: Int, lines: UnsafeBufferPointer<FieldLine>, bytes: UnsafeRawBufferPointer
    ) -> ManagedBuffer<Header, FieldLine> {
        let stride = MemoryLayout<FieldLine>.stride
        let byteLines = (byteCapacity + stride - 1) / stride
        let buffer = ManagedBuffer<Header, FieldLine>.create(minimumCapacity: lineCapacity + byteLines) { _ in
            Header(lineCount: lines.count, lineCapacity: lineCapacity, byteCount: bytes.count, byteCapacity: byteLines * stride)
        }
        buffer.withUnsafeMutablePointerToElements { elements in
            if let source = lines.baseAddress { elements.initialize(from: source, count: lines.count) }
            if let source = bytes.baseAddress {
                UnsafeMutableRawPointer(elements + lineCapacity).copyMemory(from: source, byteCount: bytes.count)
            }
        }
        return buffer
    }
}
