/// A request's ID, from its start to its log line: one Pylon made, or one a trusted sender
/// passed in.
///
/// A made ID is 36 bytes of UUID text held in line. As a String it was an allocation and a
/// UTF-8 check per request, and a free when the request ended; now it is copied into the
/// two heads and the log line as bytes, and a String is made only when one is asked for.
enum RequestID: Sendable, Equatable, CustomStringConvertible {
    case generated(UUIDText)
    /// A well-formed incoming ID (`RequestIDs.isWellFormed`), as it came.
    case received(String)

    /// Runs `body` over the ID's UTF-8 bytes.
    @inline(__always)
    func withUTF8<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch self {
        case .generated(let text):
            return text.withBytes(body)
        case .received(let string):
            if let result = string.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
                return result
            }
            var string = string
            return string.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
    }

    var description: String {
        switch self {
        case .generated(let text): text.description
        case .received(let string): string
        }
    }

    static func == (lhs: RequestID, rhs: RequestID) -> Bool {
        lhs.withUTF8 { left in rhs.withUTF8 { right in left.elementsEqual(right) } }
    }
}

/// The 36 ASCII bytes of a UUID's text (`8-4-4-4-12` hex digits), in line.
struct UUIDText: Sendable, CustomStringConvertible {
    /// 36 bytes in memory order: four words and a half.
    var bytes: (UInt64, UInt64, UInt64, UInt64, UInt32)

    static var count: Int { 36 }

    /// Runs `body` over the 36 bytes.
    @inline(__always)
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeBytes(of: self.bytes) { body(UnsafeRawBufferPointer(rebasing: $0.prefix(Self.count))) }
    }

    var description: String {
        self.withBytes { String(decoding: $0, as: UTF8.self) }
    }
}
