import NIOCore
import NIOHTTP1

/// Reads one complete response head (status line, field lines, final CRLF) that the
/// parser has already delimited, and decides the body's framing from its fields.
///
/// Hop-by-hop fields (RFC 9110 §7.6.1) are dropped while reading: they describe the
/// upstream connection, which is what this reader is the only one to see, and
/// dropping them here saves rebuilding the fields afterwards.
struct ResponseHeadReader {
    /// What the head says beyond its fields, learnt while reading them once.
    struct Result {
        /// The head without hop-by-hop fields.
        var head: ResponseHead
        var framing: ResponseBodyFraming
        /// Whether the upstream keeps the connection open after this response
        /// (RFC 9112 §9.3: HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`).
        var keepsAlive: Bool
    }

    let bytes: UnsafeRawBufferPointer
    /// How many field lines the head has (the scanner counted them), to size their list.
    var fieldLines = 16

    func read() throws(ResponseParseError) -> Result {
        let statusLineEnd = HeadScanner.lineEnd(in: self.bytes, from: 0)
        let (version, status) = try self.statusLine(0..<statusLineEnd)
        var lineStart = statusLineEnd + 2

        // One copy of the field section; each line kept becomes offsets into it.
        let fieldSection = UnsafeRawBufferPointer(rebasing: self.bytes[lineStart...])
        // Room for the few fields filters add to a response (Via, Server, a request ID).
        var fields = HeaderFields(copyingFieldSection: fieldSection, expectedLines: self.fieldLines + 4)
        var framingFields = FramingFields()
        var connection = ConnectionOptions()
        while true {
            let end = HeadScanner.lineEnd(in: self.bytes, from: lineStart)
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
            if HopByHopHeaders.isStandard(utf8: name) {
                if FieldName.matches(name, "transfer-encoding") {
                    framingFields.addTransferEncoding(value)
                } else if FieldName.matches(name, "connection") {
                    connection.add(value)
                }
                continue
            }
            if FieldName.matches(name, "content-length") {
                do throws(FramingFields.Failure) {
                    try framingFields.addContentLength(value)
                } catch {
                    switch error {
                    case .invalidContentLength:
                        throw ResponseParseError(reason: "invalid Content-Length in upstream response")
                    case .conflictingContentLength:
                        throw ResponseParseError(reason: "conflicting Content-Length values in upstream response")
                    }
                }
            }
            fields.appendLine(name: name, value: value, in: fieldSection)
        }
        if !connection.nominated.isEmpty {
            fields.removeLines { connection.nominates($0) }
        }

        let framing: ResponseBodyFraming
        if framingFields.hasTransferEncoding {
            // RFC 9112 §6.3 rule 3 lets Transfer-Encoding win, but a response with both was
            // framed by someone who disagrees with themselves: refuse it, as nginx does.
            guard framingFields.contentLength == nil else {
                throw ResponseParseError(reason: "upstream response has both Content-Length and Transfer-Encoding")
            }
            framing = framingFields.lastCodingIsChunked ? .chunked : .untilClose
        } else if let contentLength = framingFields.contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .untilClose
        }
        return Result(
            head: ResponseHead(version: version, status: status, headers: fields),
            framing: framing,
            keepsAlive: connection.keepsAlive(version: version)
        )
    }

    /// `HTTP-version SP 3DIGIT SP [ reason-phrase ]`; a missing SP after the code is
    /// tolerated, as many servers omit it with an empty reason.
    private func statusLine(_ range: Range<Int>) throws(ResponseParseError) -> (HTTPVersion, HTTPResponseStatus) {
        let line = UnsafeRawBufferPointer(rebasing: self.bytes[range])
        guard line.count >= 12, line.hasASCIIPrefix("HTTP/1."), line[8] == UInt8(ascii: " ") else {
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
}
