/// The `host` a route matches: a host name or IP address without a port.
///
/// Stored lowercased (host names are case-insensitive) and IPv6 addresses keep their brackets,
/// as they appear in a Host header, so the router can compare it with the header's host part.
enum RouteHostSyntax {
    static func parse(_ text: String) throws(ValueSyntaxError) -> String {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]"), HostAndPortSyntax.isIPv6(text.dropFirst().dropLast()) else {
                throw ValueSyntaxError("host \"\(text)\" is not a bracketed IPv6 address; write e.g. [::1] without a port")
            }
            return text.lowercased()
        }
        if text.contains(":") {
            throw ValueSyntaxError(
                "host \"\(text)\" has a port or is an IPv6 address without brackets; routes match the host without its port"
            )
        }
        guard HostAndPortSyntax.isHostName(Substring(text)) || HostAndPortSyntax.isIPv4(Substring(text)) else {
            throw ValueSyntaxError("host \"\(text)\" is not a valid host name or IP address")
        }
        return text.lowercased()
    }
}
