#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as 128 bits. IPv4 addresses are held in their IPv4-mapped IPv6
/// form (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), so one comparison serves both families and
/// the mapped peers a dual-stack socket reports match IPv4 ranges.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The first 64 bits, in network order (the most significant bit first).
    public let high: UInt64
    /// The last 64 bits.
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32 bits (`0x7F000001` is 127.0.0.1).
    public init(ipv4 bits: UInt32) {
        self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(bits))
    }

    /// Whether this is an IPv4 address (or IPv4-mapped IPv6, the same thing here).
    public var isIPv4: Bool {
        self.high == 0 && self.low >> 32 == 0xFFFF
    }

    /// Parses an address literal: a dotted quad (four decimal numbers 0-255 without
    /// leading zeroes) or IPv6 text. No brackets, ports or zone IDs; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let utf8 = text.utf8
        // The longest IPv6 text is 45 bytes (`ffff:…:ffff:255.255.255.255`).
        guard !utf8.isEmpty, utf8.count <= 45 else { return nil }
        if let bits = Self.parseIPv4(utf8) {
            self.init(ipv4: bits)
            return
        }
        guard utf8.contains(UInt8(ascii: ":")), !utf8.contains(UInt8(ascii: "%")) else { return nil }
        var address = in6_addr()
        let parsed = String(text).withCString { inet_pton(AF_INET6, $0, &address) }
        guard parsed == 1 else { return nil }
        self = withUnsafeBytes(of: &address) { Self(bytes16: $0) }
    }

    /// The 16 bytes of an `in6_addr`, in network order.
    init(bytes16 bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 16)
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        self.init(high: high, low: low)
    }

    private static func parseIPv4(_ utf8: some Collection<UInt8>) -> UInt32? {
        var bits: UInt32 = 0
        var parts = 0
        var value: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                bits = bits << 8 | value
                parts += 1
                (value, digits, leadingZero) = (0, 0, false)
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), !leadingZero else { return nil }
            if digits == 0, byte == UInt8(ascii: "0") { leadingZero = true }
            value = value * 10 + UInt32(byte - UInt8(ascii: "0"))
            digits += 1
            guard digits <= 3, value <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return bits << 8 | value
    }

    /// `203.0.113.7` for IPv4 (mapped or not), RFC 5952 text (`2001:db8::1`) for IPv6.
    public var description: String {
        if self.isIPv4 {
            let bits = UInt32(truncatingIfNeeded: self.low)
            return "\(bits >> 24).\(bits >> 16 & 0xFF).\(bits >> 8 & 0xFF).\(bits & 0xFF)"
        }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { bytes in
            for index in 0..<8 {
                bytes[index] = UInt8(truncatingIfNeeded: self.high >> (56 - 8 * UInt64(index)))
                bytes[8 + index] = UInt8(truncatingIfNeeded: self.low >> (56 - 8 * UInt64(index)))
            }
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "::" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
