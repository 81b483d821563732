/// A range of IP addresses in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a single
/// address is a range of one (`/32`, `/128`). An IPv4 range also holds the IPv4-mapped
/// IPv6 forms of its addresses (see `IPAddress`).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the range (every bit past the prefix is zero).
    public let address: IPAddress
    /// How many leading bits of the 128-bit form are fixed: an IPv4 `/8` is 96 + 8.
    public let prefixLength128: Int

    /// The range of `address` with `prefixLength` leading bits fixed, counted in the
    /// address's own family (0-32 for IPv4, 0-128 for IPv6); nil when out of range or
    /// when `address` has bits set past the prefix (`10.0.0.1/8` is almost always a typo).
    public init?(address: IPAddress, prefixLength: Int) {
        let maximum = address.isIPv4 ? 32 : 128
        guard (0...maximum).contains(prefixLength) else { return nil }
        let prefixLength128 = address.isIPv4 ? 96 + prefixLength : prefixLength
        let (highMask, lowMask) = Self.masks(prefixLength128)
        guard address.high & ~highMask == 0, address.low & ~lowMask == 0 else { return nil }
        self.address = address
        self.prefixLength128 = prefixLength128
    }

    /// The one-address range of `address`.
    public init(single address: IPAddress) {
        self.address = address
        self.prefixLength128 = 128
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        let (highMask, lowMask) = Self.masks(self.prefixLength128)
        return candidate.high & highMask == self.address.high && candidate.low & lowMask == self.address.low
    }

    static func masks(_ prefixLength: Int) -> (high: UInt64, low: UInt64) {
        let high: UInt64 = prefixLength >= 64 ? .max : prefixLength == 0 ? 0 : .max << UInt64(64 - prefixLength)
        let low: UInt64 = prefixLength <= 64 ? 0 : prefixLength == 128 ? .max : .max << UInt64(128 - prefixLength)
        return (high, low)
    }

    /// The range of `address`'s first `prefixLength` bits, whatever its other bits are.
    static func masked(_ address: IPAddress, prefixLength: Int) -> IPNetwork {
        let (highMask, lowMask) = Self.masks(address.isIPv4 ? 96 + prefixLength : prefixLength)
        let first = IPAddress(high: address.high & highMask, low: address.low & lowMask)
        return IPNetwork(address: first, prefixLength: prefixLength) ?? IPNetwork(single: address)
    }

    public var description: String {
        if self.address.isIPv4, self.prefixLength128 >= 96 {
            return "\(self.address)/\(self.prefixLength128 - 96)"
        }
        return "\(self.address)/\(self.prefixLength128)"
    }
}
