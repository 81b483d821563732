import Foundation

/// One HTTP/1.x response as it came off the wire, parsed leniently enough to describe what a
/// proxy did wrong (tests assert on it) but strictly enough to find message boundaries.
struct RawHTTPResponse: Sendable, CustomStringConvertible {
    /// "HTTP/1.1", "HTTP/1.0", ...
    var version: String
    var statusCode: Int
    var reasonPhrase: String
    /// In wire order, names as sent.
    var headers: [(name: String, value: String)]
    /// Decoded body (chunk framing removed).
    var body: [UInt8]
    /// Trailer fields of a chunked body.
    var trailers: [(name: String, value: String)]
    var isChunked: Bool
    /// The exact bytes of the status line and header block, including the blank line.
    var rawHead: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// First value of the header `name` (case-insensitive).
    func header(named name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of the header `name` (case-insensitive), in wire order.
    func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The response carries a `Connection` header with the `close` token.
    var connectionClose: Bool { connectionTokens.contains("close") }

    /// The response carries a `Connection` header with the `keep-alive` token.
    var connectionKeepAlive: Bool { connectionTokens.contains("keep-alive") }

    private var connectionTokens: [String] {
        headers(named: "connection").flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
    }

    var description: String {
        "\(version) \(statusCode) \(reasonPhrase) headers=\(headers.map { "\($0.name): \($0.value)" }) body=\(body.count) bytes"
    }
}

/// Incremental-friendly HTTP/1.x response framing: given the bytes received so far, either
/// returns the first complete response and how many bytes it used, or says more are needed.
///
/// Body length rules (RFC 9112 §6.3): no body for 1xx, 204, 304 and responses to HEAD;
/// else chunked if the last transfer coding is chunked; else Content-Length; else the body
/// runs to end of connection.
enum RawHTTPResponseParser {
    enum Outcome {
        case complete(RawHTTPResponse, consumed: Int)
        case needMoreBytes
        case invalid(String)
    }

    static func parse(_ bytes: [UInt8], requestMethod: String = "GET", atEndOfStream: Bool) -> Outcome {
        guard let headEnd = find([13, 10, 13, 10], in: bytes, from: 0) else {
            return bytes.count > 1 << 20 ? .invalid("no end of head in 1 MiB") : .needMoreBytes
        }
        let bodyStart = headEnd + 4
        let headText = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .invalid("bad status line: \(statusLine.debugDescription)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .invalid("bad header line: \(line.debugDescription)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = RawHTTPResponse(
            version: String(parts[0]), statusCode: status,
            reasonPhrase: parts.count > 2 ? String(parts[2]) : "",
            headers: headers, body: [], trailers: [], isChunked: false,
            rawHead: Array(bytes[0..<bodyStart])
        )

        if (100..<200).contains(status) || status == 204 || status == 304 || requestMethod.uppercased() == "HEAD" {
            return .complete(response, consumed: bodyStart)
        }
        let codings = response.headers(named: "transfer-encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if codings.last == "chunked" {
            response.isChunked = true
            return parseChunked(bytes, from: bodyStart, into: response)
        }
        if let lengthText = response.header(named: "content-length") {
            guard let length = Int(lengthText), length >= 0 else { return .invalid("bad Content-Length \(lengthText)") }
            guard bytes.count - bodyStart >= length else {
                return atEndOfStream ? .invalid("connection closed after \(bytes.count - bodyStart) of \(length) body bytes") : .needMoreBytes
            }
            response.body = Array(bytes[bodyStart..<(bodyStart + length)])
            return .complete(response, consumed: bodyStart + length)
        }
        guard atEndOfStream else { return .needMoreBytes }
        response.body = Array(bytes[bodyStart...])
        return .complete(response, consumed: bytes.count)
    }

    private static func parseChunked(_ bytes: [UInt8], from start: Int, into response: RawHTTPResponse) -> Outcome {
        var response = response
        var position = start
        var body: [UInt8] = []
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: position) else { return .needMoreBytes }
            let sizeLine = String(decoding: bytes[position..<lineEnd], as: UTF8.self)
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return .invalid("bad chunk size line \(sizeLine.debugDescription)") }
            position = lineEnd + 2
            if size == 0 {
                // Trailer section: header lines until an empty line.
                while true {
                    guard let trailerEnd = find([13, 10], in: bytes, from: position) else { return .needMoreBytes }
                    if trailerEnd == position {
                        response.body = body
                        return .complete(response, consumed: position + 2)
                    }
                    let line = String(decoding: bytes[position..<trailerEnd], as: UTF8.self)
                    if let colon = line.firstIndex(of: ":") {
                        response.trailers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                    }
                    position = trailerEnd + 2
                }
            }
            guard bytes.count >= position + size + 2 else { return .needMoreBytes }
            body.append(contentsOf: bytes[position..<(position + size)])
            guard bytes[position + size] == 13, bytes[position + size + 1] == 10 else { return .invalid("chunk not followed by CRLF") }
            position += size + 2
        }
    }

    /// Every response in `bytes`, in order, as far as they parse; then the status codes of any
    /// further `HTTP/1.x NNN` status lines found by scanning line starts in the unparsed rest.
    static func statusCodes(in bytes: [UInt8], atEndOfStream: Bool) -> (responses: [RawHTTPResponse], statusCodes: [Int]) {
        var responses: [RawHTTPResponse] = []
        var rest = bytes
        while !rest.isEmpty, case .complete(let response, let consumed) = parse(rest, atEndOfStream: atEndOfStream) {
            responses.append(response)
            rest.removeFirst(consumed)
        }
        var codes = responses.map(\.statusCode)
        for line in String(decoding: rest, as: UTF8.self).split(whereSeparator: \.isNewline) where line.hasPrefix("HTTP/1.") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let code = Int(parts[1]) { codes.append(code) }
        }
        return (responses, codes)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == needle[0] {
                var matches = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matches = false
                    break
                }
                if matches { return index }
            }
            index += 1
        }
        return nil
    }
}
