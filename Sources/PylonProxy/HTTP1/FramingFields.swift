/// The fields that say where an HTTP/1.1 message's body ends (RFC 9112 §6.3),
/// accumulated from raw field values while a head is read. Requests and responses
/// share it; each reader turns a failure into its own answer (400 or 502).
struct FramingFields {
    enum Failure: Error {
        /// A Content-Length element that is not a decimal number.
        case invalidContentLength
        /// Content-Length values that disagree (RFC 9112 §6.3 rule 5).
        case conflictingContentLength
    }

    private(set) var contentLength: Int?
    private(set) var hasTransferEncoding = false
    /// How many transfer codings were listed, over every Transfer-Encoding line.
    private(set) var transferCodingCount = 0
    /// Whether the last transfer coding listed is `chunked`: only then is the body chunked.
    private(set) var lastCodingIsChunked = false

    /// Repeated or comma-separated Content-Length values must all be the same number.
    mutating func addContentLength(_ value: UnsafeRawBufferPointer) throws(Failure) {
        for element in FieldListElements(value) {
            // 18 digits cannot overflow Int.
            guard !element.isEmpty, element.count <= 18 else { throw .invalidContentLength }
            var length = 0
            for byte in element {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .invalidContentLength }
                length = length * 10 + Int(byte - UInt8(ascii: "0"))
            }
            if let current = self.contentLength, current != length { throw .conflictingContentLength }
            self.contentLength = length
        }
    }

    mutating func addTransferEncoding(_ value: UnsafeRawBufferPointer) {
        self.hasTransferEncoding = true
        for coding in FieldListElements(value) where !coding.isEmpty {
            self.transferCodingCount += 1
            self.lastCodingIsChunked = FieldName.matches(coding, "chunked")
        }
    }
}
