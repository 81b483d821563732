/// Parses the entries of `trusted_proxies`: an address (`127.0.0.1`, `::1`) or a CIDR
/// range (`10.0.0.0/8`, `fd00::/8`).
enum IPNetworkSyntax {
    static func parse(_ text: String) throws(ValueSyntaxError) -> IPNetwork {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = parts[0]
        if addressText.hasPrefix("[") {
            throw ValueSyntaxError("\"\(text)\": write IPv6 addresses without brackets, e.g. ::1 or fd00::/8")
        }
        guard let address = IPAddress(addressText) else {
            throw ValueSyntaxError(
                "\"\(addressText)\" is not an IP address; write an address or a range such as 10.0.0.0/8 or fd00::/8"
            )
        }
        guard parts.count == 2 else { return IPNetwork(single: address) }
        let maximum = address.isIPv4 ? 32 : 128
        let prefixText = parts[1]
        guard !prefixText.isEmpty, prefixText.count <= 3, prefixText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let prefixLength = Int(prefixText), prefixLength <= maximum
        else {
            throw ValueSyntaxError("\"/\(prefixText)\" in \"\(text)\" is not a prefix length from 0 to \(maximum)")
        }
        guard let network = IPNetwork(address: address, prefixLength: prefixLength) else {
            let first = IPNetwork.masked(address, prefixLength: prefixLength)
            throw ValueSyntaxError(
                "\"\(text)\" has bits set past its /\(prefixLength) prefix; did you mean \(first)?"
            )
        }
        return network
    }
}
