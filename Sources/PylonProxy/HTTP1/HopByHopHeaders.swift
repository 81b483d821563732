public import NIOHTTP1

/// Removes hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection and
/// must not be forwarded. This includes every field the `Connection` header names.
public enum HopByHopHeaders {
    /// The fields that are connection-specific even when `Connection` does not name them.
    static let standard: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization", "trailer",
    ]

    /// Removes the hop-by-hop fields from `headers`.
    public static func remove(from headers: inout HTTPHeaders) {
        // Most messages carry none: one pass to find out keeps the common case cheap.
        guard headers.contains(where: { Self.isStandard($0.name) }) else { return }
        let named = Self.nominated(in: headers)
        // One pass that keeps the rest in order, instead of a scan per removed name.
        var kept: [(String, String)] = []
        kept.reserveCapacity(headers.count)
        for (name, value) in headers where !Self.isStandard(name) {
            if Self.isNominated(name, in: named) { continue }
            kept.append((name, value))
        }
        headers = HTTPHeaders(kept)
    }

    /// The options every Connection line of `headers` names beyond the standard names;
    /// usually none, since "keep-alive" and "close" are standard names anyway.
    static func nominated(in headers: some Sequence<(name: String, value: String)>) -> [Substring] {
        var named: [Substring] = []
        for (name, value) in headers where name.isFieldName("connection") { Self.addNominated(by: value, to: &named) }
        return named
    }

    /// Adds the options one Connection line's `value` names beyond the standard names.
    /// Read from its bytes by `FieldListElements`, as the response parser reads them:
    /// splitting the String itself walks it Character by Character, a grapheme check each.
    static func addNominated(by value: String, to named: inout [Substring]) {
        var value = value
        value.withUTF8 { Self.addNominated(by: UnsafeRawBufferPointer($0), to: &named) }
    }

    /// Adds the options the Connection value in `value`'s bytes names beyond the standard names.
    static func addNominated(by value: UnsafeRawBufferPointer, to named: inout [Substring]) {
        for option in FieldListElements(value) where !option.isEmpty {
            if !Self.isStandard(utf8: option) { named.append(Substring(String(decoding: option, as: UTF8.self))) }
        }
    }

    /// Whether `name` is one of the `nominated` options, ignoring case.
    static func isNominated(_ name: String, in nominated: [Substring]) -> Bool {
        !nominated.isEmpty && nominated.contains(where: { FieldName.equalIgnoringCase($0.utf8, name.utf8) })
    }

    /// Whether the field name in `name` is one of the `nominated` options, ignoring case.
    static func isNominated(utf8 name: UnsafeRawBufferPointer, in nominated: [Substring]) -> Bool {
        !nominated.isEmpty && nominated.contains { FieldName.equalIgnoringCase($0.utf8, name) }
    }

    /// Whether `name` is one of `standard`, ignoring case, without allocating.
    static func isStandard<Name: StringProtocol>(_ name: Name) -> Bool {
        Self.isStandard(utf8: name.utf8)
    }

    /// Whether the field name in `utf8` is one of `standard`, ignoring case. Every field of
    /// every message is asked, so the length picks the one or two names to compare with.
    static func isStandard(utf8 name: some Collection<UInt8>) -> Bool {
        switch name.count {
        case 2: FieldName.matches(name, "te")
        case 7: FieldName.matches(name, "upgrade") || FieldName.matches(name, "trailer")
        case 10: FieldName.matches(name, "connection") || FieldName.matches(name, "keep-alive")
        case 16: FieldName.matches(name, "proxy-connection")
        case 17: FieldName.matches(name, "transfer-encoding")
        case 18: FieldName.matches(name, "proxy-authenticate")
        case 19: FieldName.matches(name, "proxy-authorization")
        default: false
        }
    }
}
