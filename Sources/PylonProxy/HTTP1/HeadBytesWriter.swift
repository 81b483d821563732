import NIOCore
import NIOHTTP1

/// Writes the lines of a message head into a `ByteBuffer` through one reservation and
/// plain copies. `ByteBuffer`'s own write methods each check capacity, uniqueness and
/// exclusive access; a head is twenty-odd such writes, once per request and once per
/// response.
///
/// The head is written in one pass over its fields into whatever room the buffer has
/// (a reused head buffer has plenty), counting what did not fit; only a head longer than
/// that room is written a second time, into a buffer grown to its exact size. Measuring
/// every head first took a second pass over its fields, and each pass through
/// the fields costs a call per field.
struct HeadBytesWriter {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    /// The bytes the head takes so far, written or not.
    private(set) var count = 0

    private init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Runs `body` with a writer over the free bytes of `buffer`, at least `estimate` of
    /// them, and moves the buffer's writer index past what it wrote. When the head did not
    /// fit, `body` runs again with exactly the room it needed, so it must write the same
    /// bytes each time.
    static func write(into buffer: inout ByteBuffer, estimate: Int, _ body: (inout HeadBytesWriter) -> Void) {
        var needed = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: estimate) { bytes in
            var writer = HeadBytesWriter(base: bytes.baseAddress!, capacity: bytes.count)
            body(&writer)
            guard writer.count <= bytes.count else {
                needed = writer.count
                return 0
            }
            return writer.count
        }
        guard needed > 0 else { return }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: needed) { bytes in
            var writer = HeadBytesWriter(base: bytes.baseAddress!, capacity: bytes.count)
            body(&writer)
            precondition(writer.count == needed, "a head written twice came out different")
            return writer.count
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let end = self.count + bytes.count
        if end <= self.capacity, let source = bytes.baseAddress {
            (self.base + self.count).copyMemory(from: source, byteCount: bytes.count)
        }
        self.count = end
    }

    mutating func append(_ string: String) {
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { self.append(UnsafeRawBufferPointer($0)) }
        if copied == nil {
            for byte in string.utf8 { self.append(byte: byte) }
        }
    }

    mutating func append(_ string: StaticString) {
        self.append(UnsafeRawBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    mutating func append(byte: UInt8) {
        if self.count < self.capacity { self.base.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self) }
        self.count += 1
    }

    /// `value` (not negative) in decimal: at most 19 digits.
    mutating func appendDecimal(_ value: Int) {
        if value >= 10 { self.appendDecimal(value / 10) }
        self.append(byte: UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// One field line, `name: value` CRLF.
    mutating func appendField(_ name: String, _ value: String) {
        self.append(name)
        self.append(": ")
        self.append(value)
        self.append("\r\n")
    }

    /// One field line from the bytes of its name and value.
    @inline(__always)
    mutating func appendField(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        let end = self.count + name.count + value.count + 4
        if end <= self.capacity {
            var at = self.base + self.count
            if let source = name.baseAddress { at.copyMemory(from: source, byteCount: name.count) }
            at += name.count
            at.storeBytes(of: 0x203A, as: UInt16.self)  // ": "
            at += 2
            if let source = value.baseAddress { at.copyMemory(from: source, byteCount: value.count) }
            at += value.count
            at.storeBytes(of: 0x0A0D, as: UInt16.self)  // CRLF
        }
        self.count = end
    }

    mutating func appendFields(_ fields: HTTPHeaders) {
        for (name, value) in fields { self.appendField(name, value) }
    }

    mutating func appendFields(_ fields: HeaderFields) {
        fields.forEachLine { self.appendField($0, $1) }
    }
}
