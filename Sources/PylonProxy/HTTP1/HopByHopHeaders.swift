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
        for option in headers[canonicalForm: "connection"] {
            headers.remove(name: String(option))
        }
        for name in Self.standard where headers.contains(name: name) {
            headers.remove(name: name)
        }
    }

    /// Whether `name` is one of `standard`, ignoring case, without allocating.
    static func isStandard(_ name: String) -> Bool {
        let count = name.utf8.count
        guard count == 2 || (count >= 7 && count <= 19) else { return false }
        for candidate in Self.standard where candidate.utf8.count == count {
            if name.utf8.elementsEqual(candidate.utf8, by: { $0 | 0x20 == $1 | 0x20 }) { return true }
        }
        return false
    }
}
