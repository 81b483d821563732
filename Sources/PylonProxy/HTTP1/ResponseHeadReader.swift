import NIOCore
import NIOHTTP1

/// Reads one complete response head (status line, field lines, final CRLF) that the
/// parser has already delimited, and decides the body's framing from its fields.
struct ResponseHeadReader {
    /// What the head says beyond its fields, learnt while reading them once.
    struct Result {
        var head: HTTPResponseHead
        var framing: ResponseBodyFraming
        /// Whether the upstream keeps the connection open after this response
        /// (RFC 9112 §9.3: HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`).
        var keepsAlive: Bool
    }

    let bytes: UnsafeRawBufferPointer

    func read() throws(ResponseParseError) -> Result {
        let statusLineEnd = self.lineEnd(from: 0)
        let (version, status) = try self.statusLine(0..<statusLineEnd)
        var lineStart = statusLineEnd + 2

        var headers = HTTPHeaders()
        headers.reserveCapacity(16)
        var contentLength: Int? = nil
        var lastCoding: Substring? = nil
        var sawTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        while true {
            let end = self.lineEnd(from: lineStart)
            if end == lineStart { break }
            let field = UnsafeRawBufferPointer(rebasing: self.bytes[lineStart..<end])
            let name: UnsafeRawBufferPointer
            let value: UnsafeRawBufferPointer
            do {
                (name, value) = try HeadReader.splitField(field)
            } catch {
                throw ResponseParseError(reason: "\(error.reason) (upstream response)")
            }
            lineStart = end + 2
            let valueString = String(decoding: value, as: UTF8.self)
            if HeadReader.equalsIgnoringCase(name, "content-length") {
                contentLength = try Self.mergeContentLength(contentLength, valueString)
            } else if HeadReader.equalsIgnoringCase(name, "transfer-encoding") {
                sawTransferEncoding = true
                for coding in valueString.split(separator: ",") {
                    let trimmed = coding.trimmingWhitespace()
                    if !trimmed.isEmpty { lastCoding = trimmed }
                }
            } else if HeadReader.equalsIgnoringCase(name, "connection") {
                for option in valueString.split(separator: ",") {
                    let trimmed = option.trimmingWhitespace()
                    if trimmed.utf8.elementsEqual("close".utf8, by: { $0 | 0x20 == $1 }) { connectionClose = true }
                    if trimmed.utf8.elementsEqual("keep-alive".utf8, by: { $0 | 0x20 == $1 }) { connectionKeepAlive = true }
                }
            }
            headers.add(name: String(decoding: name, as: UTF8.self), value: valueString)
        }

        let framing: ResponseBodyFraming
        if sawTransferEncoding {
            // RFC 9112 §6.3 rule 3 lets Transfer-Encoding win, but a response with both was
            // framed by someone who disagrees with themselves: refuse it, as nginx does.
            guard contentLength == nil else {
                throw ResponseParseError(reason: "upstream response has both Content-Length and Transfer-Encoding")
            }
            framing = lastCoding?.lowercased() == "chunked" ? .chunked : .untilClose
        } else if let contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .untilClose
        }
        let keepsAlive = !connectionClose && (version.minor >= 1 || connectionKeepAlive)
        return Result(
            head: HTTPResponseHead(version: version, status: status, headers: headers),
            framing: framing,
            keepsAlive: keepsAlive
        )
    }

    private func lineEnd(from start: Int) -> Int {
        var i = start
        while self.bytes[i] != UInt8(ascii: "\r") { i += 1 }
        return i
    }

    /// `HTTP-version SP 3DIGIT SP [ reason-phrase ]`; a missing SP after the code is
    /// tolerated, as many servers omit it with an empty reason.
    private func statusLine(_ range: Range<Int>) throws(ResponseParseError) -> (HTTPVersion, HTTPResponseStatus) {
        let line = UnsafeRawBufferPointer(rebasing: self.bytes[range])
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8), line[8] == UInt8(ascii: " ") else {
            throw ResponseParseError(reason: "malformed upstream status line")
        }
        let minor = line[7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else {
            throw ResponseParseError(reason: "unsupported upstream HTTP version")
        }
        var code = 0
        for i in 9..<12 {
            let byte = line[i]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw ResponseParseError(reason: "malformed upstream status code")
            }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard code >= 100 else { throw ResponseParseError(reason: "malformed upstream status code") }
        var status = HTTPResponseStatus(statusCode: code)
        if line.count > 12 {
            guard line[12] == UInt8(ascii: " ") else { throw ResponseParseError(reason: "malformed upstream status line") }
            let phrase = UnsafeRawBufferPointer(rebasing: line[13...])
            for byte in phrase where (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F {
                throw ResponseParseError(reason: "control character in upstream reason phrase")
            }
            // Known codes get their standard phrase (the client sees Pylon's response);
            // only an unknown code keeps the upstream's.
            if case .custom = status { status = HTTPResponseStatus(statusCode: code, reasonPhrase: String(decoding: phrase, as: UTF8.self)) }
        }
        let version = HTTPVersion(major: 1, minor: minor == UInt8(ascii: "0") ? 0 : 1)
        return (version, status)
    }

    /// Repeated or comma-separated Content-Length values must all be the same decimal
    /// number (RFC 9112 §6.3 rule 5).
    private static func mergeContentLength(_ current: Int?, _ value: String) throws(ResponseParseError) -> Int {
        var result = current
        for part in value.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = part.trimmingWhitespace()
            guard !trimmed.isEmpty, trimmed.utf8.count <= 18,
                trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let n = Int(trimmed)
            else { throw ResponseParseError(reason: "invalid Content-Length in upstream response") }
            if let result, result != n {
                throw ResponseParseError(reason: "conflicting Content-Length values in upstream response")
            }
            result = n
        }
        return result!
    }
}
