/// A TLS server name: a host name (`api.example.com`), or for certificates a one-label
/// wildcard (`*.example.com`). Never an IP address: SNI carries only host names
/// (RFC 6066 §3). Stored lowercased, without a trailing dot.
enum ServerNameSyntax {
    static func parse(_ text: String, allowWildcard: Bool) throws(ValueSyntaxError) -> String {
        var name = Substring(text.lowercased())
        if name.hasSuffix(".") { name = name.dropLast() }
        if HostAndPortSyntax.isIPv4(name) || HostAndPortSyntax.isIPv6(name) {
            throw ValueSyntaxError("\"\(text)\" is an IP address; a TLS server name (SNI) is a host name such as api.example.com")
        }
        var hostPart = name
        if name.hasPrefix("*.") {
            guard allowWildcard else {
                throw ValueSyntaxError("\"\(text)\" is a wildcard; write the one host name to ask for, such as api.example.com")
            }
            hostPart = name.dropFirst(2)
        }
        guard HostAndPortSyntax.isHostName(hostPart), !hostPart.contains("*"), !hostPart.contains("_") else {
            let example = allowWildcard ? "api.example.com or *.example.com" : "api.example.com"
            throw ValueSyntaxError("\"\(text)\" is not a valid TLS server name; write e.g. \(example)")
        }
        return String(name)
    }
}
