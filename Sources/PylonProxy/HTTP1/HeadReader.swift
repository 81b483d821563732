import NIOCore
import NIOHTTP1

/// Reads one complete request head (request line, field lines, final CRLF) that the
/// parser has already delimited, validating it byte by byte, and decides the body's
/// framing from its fields (RFC 9112 §6.3) and whether the client keeps the connection
/// (§9.3).
struct HeadReader {
    let bytes: UnsafeRawBufferPointer

    /// `recentValues`: the connection's, for long values that repeat from head to head.
    func read(recentValues: inout RecentFieldValues) throws(RequestParseError) -> HTTP1RequestParser.ParsedHead {
        var lineStart = 0
        let requestLineEnd = HeadScanner.lineEnd(in: self.bytes, from: 0)
        let (method, requestTarget, version) = try self.requestLine(0..<requestLineEnd)
        lineStart = requestLineEnd + 2
        var target = requestTarget

        var fields: [(String, String)] = []
        fields.reserveCapacity(16)
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
            fields.append((String(decoding: name, as: UTF8.self), recentValues.value(value, at: fields.count)))
        }
        // Handed over whole: `HTTPHeaders.add` re-validates every name, which
        // `splitField` has done already.
        var headers = HTTPHeaders(fields)

        if method == .CONNECT {
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
        } else if target != "*" || method != .OPTIONS {
            guard target.utf8.first == UInt8(ascii: "/") else { throw .badRequest("malformed request target") }
        }
        if target != "*" {
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
        // Read here from the bytes: `HTTPHeaders.isKeepAlive` on headers made from an array
        // splits and lowercases every Connection value again, per request.
        let head = HTTPRequestHead(version: version, method: method, uri: target, headers: headers)
        return (head, framing, connection.keepsAlive(version: version))
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
    /// non-token names and control characters in the value.
    static func splitField(
        _ field: UnsafeRawBufferPointer
    ) throws(RequestParseError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        guard let base = field.baseAddress, field.count > 0 else { throw .badRequest("empty header line") }
        let first = base.load(as: UInt8.self)
        if FieldValue.isWhitespace(first) {
            throw .badRequest("obsolete line folding in header")
        }
        guard let colon = HeadScanner.find(UInt8(ascii: ":"), in: base, from: 0, to: field.count) else {
            throw .badRequest("header line without colon")
        }
        let name = UnsafeRawBufferPointer(start: base, count: colon)
        guard !name.isEmpty else { throw .badRequest("empty header name") }
        for byte in name where !HTTPToken.isTokenByte(byte) {
            if FieldValue.isWhitespace(byte) {
                throw .badRequest("whitespace before colon in header")
            }
            throw .badRequest("invalid character in header name")
        }
        var start = colon + 1
        var end = field.count
        while start < end, FieldValue.isWhitespace(field[start]) { start += 1 }
        while end > start, FieldValue.isWhitespace(field[end - 1]) { end -= 1 }
        let value = UnsafeRawBufferPointer(start: base + start, count: end - start)
        guard !FieldValue.hasControlCharacter(value) else { throw .badRequest("control character in header value") }
        return (name, value)
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
