/// What a message's `Connection` fields say (RFC 9110 §7.6.1), read from raw field
/// values: whether the sender closes or keeps the connection, and which further fields
/// it declares hop-by-hop.
struct ConnectionOptions {
    private(set) var close = false
    private(set) var keepAlive = false
    /// Lowercased names of fields to drop beyond the standard hop-by-hop ones; almost
    /// always empty.
    private(set) var nominated: [String] = []

    mutating func add(_ value: UnsafeRawBufferPointer) {
        for option in FieldListElements(value) where !option.isEmpty {
            if HeadReader.equalsIgnoringCase(option, "close") {
                self.close = true
            } else if HeadReader.equalsIgnoringCase(option, "keep-alive") {
                self.keepAlive = true
            } else if !HopByHopHeaders.isStandard(utf8: option) {
                self.nominated.append(String(decoding: option, as: UTF8.self).lowercased())
            }
        }
    }

    /// Whether `name` is one of the nominated fields.
    func nominates(_ name: String) -> Bool {
        self.nominated.contains { $0.utf8.count == name.utf8.count && $0.utf8.elementsEqual(name.utf8, by: { $0 | 0x20 == $1 | 0x20 }) }
    }
}
