import NIOHTTP1

extension HTTPVersion {
    /// How `Via` names the protocol a message was received with (RFC 9110 §7.6.3): `1.0`,
    /// `1.1`, or `2` for HTTP/2.
    var viaProtocolVersion: String {
        if self.major == 2 { return "2" }
        return self.minor == 0 ? "1.0" : "1.1"
    }
}
