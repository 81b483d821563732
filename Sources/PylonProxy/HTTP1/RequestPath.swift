/// Puts a request target's path into one canonical spelling before anything routes on it
/// or forwards it, so `/%6cogin`, `//login` and `/x/../login` cannot slip past a rule
/// written for `/login` while the upstream still reads them as `/login`.
///
/// - percent-encoded unreserved characters (RFC 3986 §2.3) are decoded, other escapes get
///   upper-case hex (§6.2.2.1); a malformed escape makes the target invalid;
/// - runs of `/` become one;
/// - `.` and `..` segments are removed (§5.2.4), never climbing above the root.
/// The query is left exactly as sent.
enum RequestPath {
    /// The normalised target, or nil when it holds a malformed percent-escape.
    static func normalize(_ target: String) -> String? {
        // Nearly every path is already normal: tell from the String's contiguous bytes,
        // which is several times cheaper than walking its UTF-8 view index by index.
        let isNormal = target.utf8.withContiguousStorageIfAvailable { bytes in
            !Self.needsWork(bytes[..<(bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex)])
        }
        if isNormal == true { return target }
        let utf8 = target.utf8
        let queryStart = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        let path = utf8[utf8.startIndex..<queryStart]
        guard Self.needsWork(path) else { return target }

        var decoded: [UInt8] = []
        decoded.reserveCapacity(path.count)
        var index = path.startIndex
        while index < path.endIndex {
            let byte = path[index]
            if byte == UInt8(ascii: "%") {
                let first = path.index(after: index)
                guard first < path.endIndex, path.index(after: first) < path.endIndex,
                    let high = Self.hexValue(path[first]), let low = Self.hexValue(path[path.index(after: first)])
                else { return nil }
                let value = high << 4 | low
                if Self.isUnreserved(value) {
                    decoded.append(value)
                } else {
                    decoded.append(UInt8(ascii: "%"))
                    decoded.append(Self.hexDigit(high))
                    decoded.append(Self.hexDigit(low))
                }
                index = path.index(first, offsetBy: 2)
            } else {
                decoded.append(byte)
                index = path.index(after: index)
            }
        }

        // Split into segments (merging empty ones from repeated slashes) and resolve dots.
        var segments: [ArraySlice<UInt8>] = []
        let endsWithSlashOrDot: Bool
        let parts = decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        for part in parts {
            if part.elementsEqual([UInt8(ascii: ".")]) {
                continue
            } else if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = segments.popLast()
            } else {
                segments.append(part)
            }
        }
        if let last = parts.last {
            // `/a/` and `/a/.` and `/a/b/..` all name a directory: keep the trailing slash.
            endsWithSlashOrDot =
                decoded.last == UInt8(ascii: "/") || last.elementsEqual([UInt8(ascii: ".")])
                || last.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")])
        } else {
            endsWithSlashOrDot = false
        }
        var result: [UInt8] = [UInt8(ascii: "/")]
        for (position, segment) in segments.enumerated() {
            if position > 0 { result.append(UInt8(ascii: "/")) }
            result.append(contentsOf: segment)
        }
        if endsWithSlashOrDot, !segments.isEmpty { result.append(UInt8(ascii: "/")) }
        result.append(contentsOf: utf8[queryStart...])
        return String(decoding: result, as: UTF8.self)
    }

    /// Most paths are already canonical: no escapes, no double slashes, no dot segments.
    private static func needsWork(_ path: some Collection<UInt8>) -> Bool {
        var previous: UInt8 = 0
        var beforePrevious: UInt8 = 0
        for byte in path {
            if byte == UInt8(ascii: "%") { return true }
            if byte == UInt8(ascii: "/") {
                if previous == UInt8(ascii: "/") { return true }
                if previous == UInt8(ascii: "."), beforePrevious == UInt8(ascii: "/") || beforePrevious == UInt8(ascii: ".") {
                    return true
                }
            }
            beforePrevious = previous
            previous = byte
        }
        // A path ending in `/.` or `/..`.
        return previous == UInt8(ascii: ".") && (beforePrevious == UInt8(ascii: "/") || beforePrevious == UInt8(ascii: "."))
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }
}
