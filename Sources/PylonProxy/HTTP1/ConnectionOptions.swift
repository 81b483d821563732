import NIOHTTP1

/// What a message's `Connection` fields say (RFC 9110 §7.6.1), read from raw field
/// values: whether the sender closes or keeps the connection, and which further fields
/// it declares hop-by-hop.
struct ConnectionOptions {
    private(set) var close = false
    private(set) var keepAlive = false
    /// Names of fields to drop beyond the standard hop-by-hop ones; almost always empty.
    private(set) var nominated: [Substring] = []

    mutating func add(_ value: UnsafeRawBufferPointer) {
        for option in FieldListElements(value) where !option.isEmpty {
            if FieldName.matches(option, "close") {
                self.close = true
            } else if FieldName.matches(option, "keep-alive") {
                self.keepAlive = true
            } else if !HopByHopHeaders.isStandard(utf8: option) {
                self.nominated.append(Substring(String(decoding: option, as: UTF8.self)))
            }
        }
    }

    /// Whether the sender of a message of `version` with these options keeps the connection
    /// open after it (RFC 9112 §9.3): HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`.
    func keepsAlive(version: HTTPVersion) -> Bool {
        !self.close && (version.minor >= 1 || self.keepAlive)
    }

    /// Whether the field name in `name` is one of the nominated fields.
    func nominates(_ name: UnsafeRawBufferPointer) -> Bool {
        HopByHopHeaders.isNominated(utf8: name, in: self.nominated)
    }
}
