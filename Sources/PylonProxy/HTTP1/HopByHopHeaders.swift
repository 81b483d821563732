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
        for option in headers[canonicalForm: "connection"] {
            headers.remove(name: String(option))
        }
        for name in Self.standard where headers.contains(name: name) {
            headers.remove(name: name)
        }
    }
}
