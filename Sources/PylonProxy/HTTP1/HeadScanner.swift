import NIOCore

/// Finds where a message head (start line, field lines, empty line) ends in bytes that
/// arrive piecemeal, enforcing CRLF line endings and the size limits as it goes, and
/// remembering how far it looked so each byte is scanned once. Requests and upstream
/// responses are delimited by the same rules (RFC 9112 §2.1–2.2).
struct HeadScanner: Sendable {
    enum Failure: Error, Sendable, Equatable {
        /// An LF not preceded by CR.
        case bareLF
        /// A CR not followed by LF.
        case bareCR
        /// The start line (request line or status line) is longer than allowed.
        case startLineTooLong
        /// The field lines together are longer than allowed.
        case fieldsTooLarge
    }

    let maxStartLine: Int
    let maxFieldBytes: Int
    /// Offsets are from the buffer's reader index, which must not move until the whole
    /// head has arrived.
    private var scanned = 0
    private var lineStart = 0
    private var firstLineEnd: Int? = nil

    init(maxStartLine: Int, maxFieldBytes: Int) {
        self.maxStartLine = maxStartLine
        self.maxFieldBytes = maxFieldBytes
    }

    /// True before the first byte of a head was looked at.
    var isAtStart: Bool { self.scanned == 0 }

    /// Forgets the head just read, ready for the next one.
    mutating func reset() {
        self.scanned = 0
        self.lineStart = 0
        self.firstLineEnd = nil
    }

    /// The length of the complete head at the start of `buffer`'s readable bytes
    /// (through its empty line), or nil while it is incomplete and within the limits.
    mutating func headLength(in buffer: ByteBuffer) throws(Failure) -> Int? {
        let maxStartLine = self.maxStartLine
        let maxFieldBytes = self.maxFieldBytes
        var scan = self
        let result: Result<Int?, Failure> = buffer.withUnsafeReadableBytes { bytes in
            var i = scan.scanned
            defer { scan.scanned = i }
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\n") {
                    guard i > 0, bytes[i - 1] == UInt8(ascii: "\r") else { return .failure(.bareLF) }
                    if let firstLineEnd = scan.firstLineEnd {
                        if i - firstLineEnd > maxFieldBytes { return .failure(.fieldsTooLarge) }
                        if i - scan.lineStart == 1 { return .success(i + 1) }
                    } else {
                        if i - 1 > maxStartLine { return .failure(.startLineTooLong) }
                        scan.firstLineEnd = i
                    }
                    scan.lineStart = i + 1
                } else if byte == UInt8(ascii: "\r") {
                    // A CR must be followed by LF; look again next time if it is the last byte.
                    guard i + 1 < bytes.count else { return .success(nil) }
                    guard bytes[i + 1] == UInt8(ascii: "\n") else { return .failure(.bareCR) }
                }
                if let firstLineEnd = scan.firstLineEnd {
                    if i - firstLineEnd > maxFieldBytes { return .failure(.fieldsTooLarge) }
                } else if i >= maxStartLine, !(i == maxStartLine && byte == UInt8(ascii: "\r")) {
                    // Byte i is the (i+1)th of the line: over the limit unless it is the CR
                    // right after a line of exactly the maximum length.
                    return .failure(.startLineTooLong)
                }
                i += 1
            }
            return .success(nil)
        }
        self = scan
        return try result.get()
    }
}
