#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses `host:port` and `[v6]:port` endpoints.
///
/// Listener and metrics addresses must be IP literals: they are bound, and binding to a name would
/// make start-up depend on DNS. Upstream targets may also be host names, resolved when connecting.
enum HostAndPortSyntax {
    enum HostRule {
        /// An IPv4 or bracketed IPv6 address.
        case ipLiteral
        /// An IP address or a DNS host name.
        case ipLiteralOrHostName
    }

    static func parse(_ text: String, hostRule: HostRule) throws(ValueSyntaxError) -> HostAndPort {
        let example = hostRule == .ipLiteral ? "0.0.0.0:6191 or [::1]:6191" : "127.0.0.1:9001 or backend.local:80"
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ValueSyntaxError("\"\(text)\" has \"[\" without a closing \"]\"; write e.g. [::1]:6191")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let afterBracket = text[text.index(after: close)...]
            guard afterBracket.first == ":" else {
                throw ValueSyntaxError("\"\(text)\" needs a port after the address, e.g. [\(host)]:8080")
            }
            portText = afterBracket.dropFirst()
            guard isIPv6(host) else {
                throw ValueSyntaxError("\"\(host)\" in \"\(text)\" is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ValueSyntaxError("\"\(text)\" needs a port, e.g. \(example)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ValueSyntaxError("\"\(text)\": an IPv6 address needs brackets, e.g. [::1]:8080")
            }
            try checkHost(host, in: text, rule: hostRule, example: example)
        }
        let port = try parsePort(portText, in: text)
        return HostAndPort(host: String(host), port: port)
    }

    private static func checkHost(
        _ host: Substring, in text: String, rule: HostRule, example: String
    ) throws(ValueSyntaxError) {
        guard !host.isEmpty else {
            throw ValueSyntaxError("\"\(text)\" has no host before the port, e.g. \(example)")
        }
        if isIPv4(host) {
            return
        }
        // Only digits and dots, yet not a valid IPv4 address: a typo like 127.0.0.256, not a name.
        if host.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) {
            throw ValueSyntaxError("\"\(host)\" in \"\(text)\" is not a valid IPv4 address")
        }
        switch rule {
        case .ipLiteral:
            throw ValueSyntaxError(
                "\"\(host)\" in \"\(text)\" is not an IP address; listening addresses must be IP addresses, e.g. \(example)"
            )
        case .ipLiteralOrHostName:
            guard isHostName(host) else {
                throw ValueSyntaxError("\"\(host)\" in \"\(text)\" is not a valid host name or IP address")
            }
        }
    }

    private static func parsePort(_ text: Substring, in whole: String) throws(ValueSyntaxError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text) else {
            throw ValueSyntaxError("\"\(text)\" in \"\(whole)\" is not a port number (1-65535)")
        }
        guard (1...65535).contains(port) else {
            throw ValueSyntaxError("port \(port) in \"\(whole)\" is out of range; ports are 1-65535")
        }
        return port
    }

    static func isIPv4(_ text: Substring) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, String(text), &address) == 1
    }

    static func isIPv6(_ text: Substring) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, String(text), &address) == 1
    }

    /// RFC 1123 host names: dot-separated labels of letters, digits and hyphens, 1-63 characters,
    /// not starting or ending with a hyphen. Underscores are allowed too because container and
    /// service-discovery names use them and resolvers accept them.
    static func isHostName(_ text: Substring) -> Bool {
        let name = text.hasSuffix(".") ? text.dropLast() : text
        guard !name.isEmpty, name.utf8.count <= 253 else {
            return false
        }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63
                && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}
