import NIOCore
import NIOHTTP1

/// Reads one complete request head (request line, field lines, final CRLF) that the
/// parser has already delimited, validating it byte by byte, and decides the body's
/// framing from its fields (RFC 9112 §6.3) and whether the client keeps the connection
/// (§9.3).
struct HeadReader {
    let bytes: UnsafeRawBufferPointer
    /// How many field lines the head has (the scanner counted them), to size their list.
    var fieldLines = 16

    func read() throws(RequestParseError) -> HTTP1RequestParser.ParsedHead {
        var lineStart = 0
        let requestLineEnd = HeadScanner.lineEnd(in: self.bytes, from: 0)
        let (method, requestTarget, version) = try self.requestLine(0..<requestLineEnd)
        lineStart = requestLineEnd + 2
        var target = requestTarget

        // One copy of the field section; each line becomes offsets into it.
        let fieldSection = UnsafeRawBufferPointer(rebasing: self.bytes[lineStart...])
        var headers = HeaderFields(copyingFieldSection: fieldSection, expectedLines: self.fieldLines)
        var hostCount = 0
        var framingFields = FramingFields()
        var connection = ConnectionOptions()

        while true {
            let end = HeadScanner.lineEnd(in: self.bytes, from: lineStart)
            if end == lineStart { break }
            let field = UnsafeRawBufferPointer(rebasing: self.bytes[lineStart..<end])
            let (name, value) = try Self.splitField(field)
            lineStart = end + 2

            if FieldName.matches(name, "host") {
                hostCount += 1
            } else if FieldName.matches(name, "content-length") {
                do throws(FramingFields.Failure) {
                    try framingFields.addContentLength(value)
                } catch {
                    switch error {
                    case .invalidContentLength: throw .badRequest("invalid Content-Length")
                    case .conflictingContentLength: throw .badRequest("conflicting Content-Length values")
                    }
                }
            } else if FieldName.matches(name, "transfer-encoding") {
                framingFields.addTransferEncoding(value)
            } else if FieldName.matches(name, "connection") {
                connection.add(value)
            }
            headers.appendLine(name: name, value: value, in: fieldSection)
        }

        // Matched, not compared: `==` on `HTTPMethod` makes and compares both raw values.
        if case .CONNECT = method {
            throw RequestParseError(status: 501, reason: "CONNECT is not supported")
        }
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1 (at most one in 1.0), even with an
        // absolute-form target, whose authority then replaces it (§3.2.2).
        guard hostCount <= 1 else { throw .badRequest("more than one Host header") }
        if version == .http1_1, hostCount == 0 { throw .badRequest("missing Host header") }
        if let authority = Self.absoluteFormAuthority(target) {
            guard !authority.authority.isEmpty else { throw .badRequest("empty authority in request target") }
            headers.replaceOrAdd(name: "host", value: String(authority.authority))
            target = authority.path
        } else if !Self.isAsterisk(target) || !method.isOPTIONS {
            guard target.utf8.first == UInt8(ascii: "/") else { throw .badRequest("malformed request target") }
        }
        if !Self.isAsterisk(target) {
            guard let normalized = RequestPath.normalize(target) else {
                throw .badRequest("malformed percent-encoding in request target")
            }
            target = normalized
        }

        let framing: RequestFraming
        if framingFields.hasTransferEncoding {
            guard framingFields.contentLength == nil else { throw .badRequest("both Content-Length and Transfer-Encoding") }
            guard version == .http1_1 else { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            guard framingFields.lastCodingIsChunked else {
                throw .badRequest("Transfer-Encoding does not end with chunked")
            }
            guard framingFields.transferCodingCount == 1 else {
                throw RequestParseError(status: 501, reason: "unsupported transfer coding")
            }
            framing = .chunked
        } else if let contentLength = framingFields.contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .none
        }
        // Whether the client keeps the connection was read from `Connection` on the way.
        let head = RequestHead(version: version, method: method, uri: target, headers: headers)
        return (head, framing, connection.keepsAlive(version: version))
    }

    /// Whether `target` is the asterisk-form `*`, told without a String comparison.
    private static func isAsterisk(_ target: String) -> Bool {
        target.utf8.count == 1 && target.utf8.first == UInt8(ascii: "*")
    }

    /// `method SP request-target SP HTTP-version`, single spaces, nothing else.
    private func requestLine(_ range: Range<Int>) throws(RequestParseError) -> (HTTPMethod, String, HTTPVersion) {
        let line = self.bytes[range]
        guard let firstSpace = line.firstIndex(of: UInt8(ascii: " ")) else { throw .badRequest("malformed request line") }
        let methodBytes = line[line.startIndex..<firstSpace]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(HTTPToken.isTokenByte) else {
            throw .badRequest("malformed method")
        }
        let rest = line[(firstSpace + 1)...]
        guard let secondSpace = rest.firstIndex(of: UInt8(ascii: " ")) else { throw .badRequest("malformed request line") }
        let targetBytes = rest[rest.startIndex..<secondSpace]
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badRequest("malformed request target")
        }
        let versionBytes = rest[(secondSpace + 1)...]
        let version = try Self.version(UnsafeRawBufferPointer(rebasing: versionBytes))
        let method =
            Self.commonMethod(UnsafeRawBufferPointer(rebasing: methodBytes))
            ?? HTTPMethod(rawValue: String(decoding: methodBytes, as: UTF8.self))
        return (method, String(decoding: targetBytes, as: UTF8.self), version)
    }

    /// The methods nearly every request has, told from their bytes: `HTTPMethod(rawValue:)`
    /// wants a String made first and compares it with each method's name in turn.
    /// Methods are case-sensitive (RFC 9110 §9.1), so `get` is not `GET`.
    private static func commonMethod(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod? {
        if bytes.equalsASCII("GET") { return .GET }
        if bytes.equalsASCII("POST") { return .POST }
        if bytes.equalsASCII("HEAD") { return .HEAD }
        if bytes.equalsASCII("PUT") { return .PUT }
        return nil
    }

    private static func version(_ bytes: UnsafeRawBufferPointer) throws(RequestParseError) -> HTTPVersion {
        guard bytes.count == 8, bytes.hasASCIIPrefix("HTTP/"), bytes[6] == UInt8(ascii: "."),
            let major = Self.digit(bytes[5]), let minor = Self.digit(bytes[7])
        else { throw .badRequest("malformed HTTP version") }
        guard major == 1 else { throw RequestParseError(status: 505, reason: "HTTP version not supported") }
        return HTTPVersion(major: 1, minor: minor == 0 ? 0 : 1)
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// Splits `name: OWS value OWS`, rejecting obs-fold, whitespace before the colon,
    /// non-token names and control characters in the value. The name is checked on the way
    /// to the colon, in the one pass that finds it.
    static func splitField(
        _ field: UnsafeRawBufferPointer
    ) throws(RequestParseError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        guard let base = field.baseAddress, field.count > 0 else { throw .badRequest("empty header line") }
        let count = field.count
        var colon = 0
        // Eight bytes at a time while they are letters, digits and hyphens, as most of a
        // name is; the word holding the colon passes whole when the bytes before the colon
        // are. Anything else is looked at byte by byte below.
        while colon + 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: colon, as: UInt64.self))
            if HTTPToken.isAlphanumericOrHyphen(word) {
                colon += 8
                continue
            }
            let colonBits = LineBreakSearch.matches(UInt8(ascii: ":"), in: word)
            if colonBits != 0 {
                let before = colonBits.trailingZeroBitCount / 8
                // The bytes before the colon, the rest made letters.
                let kept: UInt64 = before == 0 ? 0 : ~0 >> (64 - 8 * UInt64(before))
                if HTTPToken.isAlphanumericOrHyphen(word & kept | 0x6161_6161_6161_6161 & ~kept) { colon += before }
            }
            break
        }
        while colon < count {
            let byte = base.load(fromByteOffset: colon, as: UInt8.self)
            if byte == UInt8(ascii: ":") { break }
            guard HTTPToken.isTokenByte(byte) else { throw Self.nameError(field, at: colon) }
            colon += 1
        }
        guard colon < count else { throw .badRequest("header line without colon") }
        guard colon > 0 else { throw .badRequest("empty header name") }
        var start = colon + 1
        var end = count
        while start < end, FieldValue.isWhitespace(base.load(fromByteOffset: start, as: UInt8.self)) { start += 1 }
        while end > start, FieldValue.isWhitespace(base.load(fromByteOffset: end - 1, as: UInt8.self)) { end -= 1 }
        let value = UnsafeRawBufferPointer(start: base + start, count: end - start)
        guard !FieldValue.hasControlCharacter(value) else { throw .badRequest("control character in header value") }
        return (UnsafeRawBufferPointer(start: base, count: colon), value)
    }

    /// Why the byte at `index`, before any colon, cannot be part of a field name.
    private static func nameError(_ field: UnsafeRawBufferPointer, at index: Int) -> RequestParseError {
        let byte = field[index]
        if index == 0, FieldValue.isWhitespace(byte) { return .badRequest("obsolete line folding in header") }
        guard field[index...].contains(UInt8(ascii: ":")) else { return .badRequest("header line without colon") }
        if FieldValue.isWhitespace(byte) { return .badRequest("whitespace before colon in header") }
        return .badRequest("invalid character in header name")
    }

    /// For an absolute-form target (`http://host:port/path`), its authority and the
    /// origin-form path to forward (RFC 9112 §3.2.2).
    static func absoluteFormAuthority(_ target: String) -> (authority: Substring, path: String)? {
        // Almost every target is origin-form: say so without lowercasing a copy.
        guard let first = target.utf8.first, first | 0x20 == UInt8(ascii: "h") else { return nil }
        let lowered = target.prefix(8).lowercased()
        let schemeLength: Int
        if lowered.hasPrefix("http://") {
            schemeLength = 7
        } else if lowered.hasPrefix("https://") {
            schemeLength = 8
        } else {
            return nil
        }
        let afterScheme = target.dropFirst(schemeLength)
        let pathStart = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
        let authority = afterScheme[afterScheme.startIndex..<pathStart]
        let rest = afterScheme[pathStart...]
        let path = rest.isEmpty ? "/" : (rest.first == "?" ? "/" + rest : String(rest))
        return (authority, path)
    }
}
