import NIOCore
import NIOHTTP1

/// Writes the lines of a message head into a `ByteBuffer` through one reservation and
/// plain copies. `ByteBuffer`'s own write methods each check capacity, uniqueness and
/// exclusive access; a head is twenty-odd such writes, once per request and once per
/// response.
struct HeadBytesWriter {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private(set) var count = 0

    private init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Runs `body` with a writer over at least `reserving` free bytes of `buffer` and moves
    /// the buffer's writer index past what it wrote. Writing more than reserved traps
    /// rather than overrunning the buffer.
    static func write(into buffer: inout ByteBuffer, reserving: Int, _ body: (inout HeadBytesWriter) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: reserving) { bytes in
            var writer = HeadBytesWriter(base: bytes.baseAddress!, capacity: bytes.count)
            body(&writer)
            return writer.count
        }
    }

    /// The bytes `fields` take as field lines (`name: value` CRLF each).
    static func byteCount(of fields: HTTPHeaders) -> Int {
        var total = 0
        for (name, value) in fields { total += name.utf8.count + value.utf8.count + 4 }
        return total
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= self.capacity - self.count, "head longer than reserved")
        if let source = bytes.baseAddress { (self.base + self.count).copyMemory(from: source, byteCount: bytes.count) }
        self.count += bytes.count
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
        precondition(self.count < self.capacity, "head longer than reserved")
        self.base.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self)
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

    mutating func appendFields(_ fields: HTTPHeaders) {
        for (name, value) in fields { self.appendField(name, value) }
    }
}
