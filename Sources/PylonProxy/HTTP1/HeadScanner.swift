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
    /// Lines of the head read so far, the start line included: once the head is complete,
    /// one more than its field lines, so the reader can size its list of them.
    private(set) var lineCount = 0

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
        self.lineCount = 0
    }

    /// The length of the complete head at the start of `buffer`'s readable bytes
    /// (through its empty line), or nil while it is incomplete and within the limits.
    ///
    /// Scans from line break to line break, eight bytes at a time (`LineBreakSearch`): the
    /// bytes between two CR or LF bytes only count against the limits. Each failure is the
    /// one a byte-by-byte scan would meet first.
    mutating func headLength(in buffer: ByteBuffer) throws(Failure) -> Int? {
        var scan = self
        let result: Result<Int?, Failure> = buffer.withUnsafeReadableBytes { bytes in
            scan.scan(bytes)
        }
        self = scan
        return try result.get()
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Result<Int?, Failure> {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return .success(nil) }
        var i = self.scanned
        defer { self.scanned = i }
        while i < count {
            // The first byte past the limit of the line being read: the start line's own
            // length, or the field lines' total.
            let limitAt = self.firstLineEnd.map { $0 + self.maxFieldBytes + 1 } ?? self.maxStartLine
            // The first CR or LF: the line's end, or a bare one.
            let breakAt = LineBreakSearch.firstLineBreak(in: base, from: i, to: count) ?? count
            if limitAt < breakAt { return .failure(self.firstLineEnd == nil ? .startLineTooLong : .fieldsTooLarge) }
            if breakAt == count {
                i = count
                return .success(nil)
            }
            let lf: Int
            if bytes[breakAt] == UInt8(ascii: "\n") {
                // An LF with no CR before it in this stretch.
                guard breakAt > 0, bytes[breakAt - 1] == UInt8(ascii: "\r") else { return .failure(.bareLF) }
                lf = breakAt
            } else {
                // A CR: it must be followed by LF; look again next time if it is the last byte.
                guard breakAt + 1 < count else {
                    i = breakAt
                    return .success(nil)
                }
                guard bytes[breakAt + 1] == UInt8(ascii: "\n") else { return .failure(.bareCR) }
                lf = breakAt + 1
                // The CR itself counts against the limits (a start line of exactly the
                // maximum length may end with it).
                if let firstLineEnd = self.firstLineEnd {
                    if breakAt - firstLineEnd > self.maxFieldBytes { return .failure(.fieldsTooLarge) }
                } else if breakAt > self.maxStartLine {
                    return .failure(.startLineTooLong)
                }
            }
            if let firstLineEnd = self.firstLineEnd {
                if lf - firstLineEnd > self.maxFieldBytes { return .failure(.fieldsTooLarge) }
                if lf - self.lineStart == 1 {
                    i = lf + 1
                    return .success(lf + 1)
                }
            } else {
                if lf - 1 > self.maxStartLine { return .failure(.startLineTooLong) }
                self.firstLineEnd = lf
            }
            self.lineStart = lf + 1
            self.lineCount += 1
            i = lf + 1
        }
        return .success(nil)
    }

    /// The offset of the CR that ends the line starting at `start` in a head this scanner
    /// delimited: it is complete, and every line of it ends in CRLF.
    @inline(__always)
    static func lineEnd(in head: UnsafeRawBufferPointer, from start: Int) -> Int {
        LineBreakSearch.first(UInt8(ascii: "\r"), in: head.baseAddress!, from: start, to: head.count)!
    }
}
