public import NIOCore

/// Decodes the PROXY protocol header (HAProxy's `proxy-protocol.txt`: the v1 text line or
/// the v2 binary block) at the start of a connection's input. Strict: anything that is
/// not exactly a header by the specification is an error, never a guess.
///
/// Stateless: `decode` looks at the bytes buffered so far and either needs more (nil,
/// nothing consumed), returns the header (its bytes consumed), or throws. Headers are
/// short and bounded (107 bytes for v1, 16 + `maxV2Length` for v2), so looking at the
/// prefix again on each read costs nothing, and a header split across reads at any
/// byte decodes exactly as one read would.
public struct ProxyProtocolDecoder: Sendable {
    /// The longest v1 line, CRLF included (`PROXY UNKNOWN` with two full IPv6 addresses
    /// and ports): the specification's bound.
    public static let maxV1Length = 107
    /// Enough for the addresses and the TLVs real balancers send (AWS, GCP, Azure link
    /// IDs, HAProxy's SSL TLVs), far below the 64 KiB the length field could announce.
    public static let defaultMaxV2Length = 4096

    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)

    /// Largest v2 address-and-TLV block accepted (the 16 fixed bytes not counted).
    public var maxV2Length: Int

    public init(maxV2Length: Int = ProxyProtocolDecoder.defaultMaxV2Length) {
        self.maxV2Length = maxV2Length
    }

    /// The header at the start of `buffer`, consumed; nil if more bytes are needed (then
    /// nothing is consumed). Throws when the bytes cannot become a valid header.
    public func decode(_ buffer: inout ByteBuffer) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        let maxV2Length = self.maxV2Length
        let outcome = buffer.withUnsafeReadableBytes { Self.decode($0, maxV2Length: maxV2Length) }
        switch outcome {
        case .needMoreBytes:
            return nil
        case .invalid(let reason):
            throw ProxyProtocolError(reason)
        case .header(let header):
            buffer.moveReaderIndex(forwardBy: header.length)
            return header
        }
    }

    enum Outcome {
        case needMoreBytes
        case header(ProxyProtocolHeader)
        case invalid(String)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, maxV2Length: Int) -> Outcome {
        guard let first = bytes.first else { return .needMoreBytes }
        if first == self.v2Signature[0] {
            let count = min(bytes.count, self.v2Signature.count)
            guard bytes.prefix(count).elementsEqual(self.v2Signature.prefix(count)) else {
                return .invalid("not a PROXY protocol header (a broken v2 signature)")
            }
            return bytes.count < 16 ? .needMoreBytes : self.decodeV2(bytes, maxV2Length: maxV2Length)
        }
        if first == self.v1Prefix[0] {
            let count = min(bytes.count, self.v1Prefix.count)
            guard bytes.prefix(count).elementsEqual(self.v1Prefix.prefix(count)) else {
                return .invalid("not a PROXY protocol header (expected \"PROXY \")")
            }
            return bytes.count < self.v1Prefix.count ? .needMoreBytes : self.decodeV1(bytes)
        }
        return .invalid("not a PROXY protocol header (it must start with \"PROXY \" or the v2 signature)")
    }

    // MARK: Version 1

    private static func decodeV1(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        // The CR of the terminating CRLF may sit at index maxV1Length - 2 at the latest.
        let lastCRIndex = self.maxV1Length - 2
        var index = self.v1Prefix.count
        while index <= lastCRIndex, index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") {
                guard index + 1 < bytes.count else { return .needMoreBytes }
                guard bytes[index + 1] == UInt8(ascii: "\n") else {
                    return .invalid("v1 header: CR not followed by LF")
                }
                let line = UnsafeRawBufferPointer(rebasing: bytes[self.v1Prefix.count..<index])
                return self.parseV1Line(line, length: index + 2)
            }
            // A bare LF, other control bytes and non-ASCII are never part of a header.
            guard byte >= 0x20, byte < 0x7F else {
                return .invalid("v1 header: byte 0x\(String(byte, radix: 16)) where only printable ASCII may appear")
            }
            index += 1
        }
        if index > lastCRIndex {
            return .invalid("v1 header: no CRLF within \(self.maxV1Length) bytes")
        }
        return .needMoreBytes
    }

    /// `line` is what follows `PROXY ` up to the CRLF.
    private static func parseV1Line(_ line: UnsafeRawBufferPointer, length: Int) -> Outcome {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        let proto = fields.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        switch proto {
        case "UNKNOWN":
            // The rest of the line may be anything and must be ignored.
            return .header(ProxyProtocolHeader(version: .v1, source: nil, destination: nil, length: length))
        case "TCP4", "TCP6":
            guard fields.count == 5 else {
                return .invalid("v1 header: expected \"PROXY \(proto) <source> <destination> <source port> <destination port>\"")
            }
            let isIPv6 = proto == "TCP6"
            guard let sourcePort = self.port(fields[3]), let destinationPort = self.port(fields[4]) else {
                return .invalid("v1 header: a port is not a number from 0 to 65535 without leading zeroes")
            }
            guard let source = self.address(fields[1], isIPv6: isIPv6, port: sourcePort),
                let destination = self.address(fields[2], isIPv6: isIPv6, port: destinationPort)
            else {
                return .invalid("v1 header: an address is not a valid \(isIPv6 ? "IPv6" : "IPv4") address")
            }
            return .header(ProxyProtocolHeader(version: .v1, source: source, destination: destination, length: length))
        default:
            return .invalid("v1 header: unknown protocol \"\(proto.prefix(16))\" (expected TCP4, TCP6 or UNKNOWN)")
        }
    }

    /// A decimal port, 0-65535, without leading zeroes (the specification forbids them).
    private static func port(_ text: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        if text.count > 1, text.first == UInt8(ascii: "0") { return nil }
        let value = text.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return value <= 65535 ? value : nil
    }

    private static func address(_ text: Slice<UnsafeRawBufferPointer>, isIPv6: Bool, port: Int) -> SocketAddress? {
        if isIPv6 {
            // Hex digits, colons and dots only (an embedded IPv4 tail is allowed); inet_pton
            // then checks the grammar. No zone IDs: they mean nothing off the sender's host.
            let allowed = text.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                    UInt8(ascii: "A")...UInt8(ascii: "F"), UInt8(ascii: ":"), UInt8(ascii: "."):
                    return true
                default:
                    return false
                }
            }
            guard allowed, text.contains(UInt8(ascii: ":")),
                let address = try? SocketAddress(ipAddress: String(decoding: text, as: UTF8.self), port: port),
                case .v6 = address
            else { return nil }
            return address
        }
        guard let octets = self.ipv4Octets(text) else { return nil }
        return try? SocketAddress(packedIPAddress: ByteBuffer(bytes: octets), port: port)
    }

    /// Exactly four decimal numbers 0-255 separated by single dots, without leading zeroes.
    private static func ipv4Octets(_ text: Slice<UnsafeRawBufferPointer>) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        octets.reserveCapacity(4)
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return nil
            }
            if part.count > 1, part.first == UInt8(ascii: "0") { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value <= 255 else { return nil }
            octets.append(UInt8(value))
        }
        return octets
    }

    // MARK: Version 2

    /// The valid v2 family-and-protocol bytes: UNSPEC, then TCP/UDP over IPv4 and IPv6 and
    /// UNIX stream/datagram. Anything else must be rejected.
    private static let v2Families: Set<UInt8> = [0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32]

    private static func decodeV2(_ bytes: UnsafeRawBufferPointer, maxV2Length: Int) -> Outcome {
        let versionAndCommand = bytes[12]
        guard versionAndCommand >> 4 == 2 else {
            return .invalid("v2 header: version \(versionAndCommand >> 4), only 2 exists")
        }
        let command = versionAndCommand & 0x0F
        guard command <= 1 else {
            return .invalid("v2 header: unknown command \(command) (expected LOCAL or PROXY)")
        }
        let family = bytes[13]
        guard self.v2Families.contains(family) else {
            return .invalid("v2 header: unknown address family and protocol 0x\(String(family, radix: 16))")
        }
        let addressLength = Int(bytes[14]) << 8 | Int(bytes[15])
        guard addressLength <= maxV2Length else {
            return .invalid("v2 header: announces \(addressLength) bytes of addresses and TLVs, more than the \(maxV2Length) allowed")
        }
        let length = 16 + addressLength
        guard bytes.count >= length else { return .needMoreBytes }
        // LOCAL (a balancer's own health check): the connection's endpoints stand; the
        // address block, whatever it holds, is skipped.
        guard command == 1 else {
            return .header(ProxyProtocolHeader(version: .v2, source: nil, destination: nil, length: length))
        }
        let addressBytes: Int
        switch family {
        case 0x11: addressBytes = 4
        case 0x21: addressBytes = 16
        default:
            // UNSPEC, UDP and UNIX: valid, but nothing a TCP listener can use as a client
            // address; the specification lets the receiver fall back to the real endpoints.
            return .header(ProxyProtocolHeader(version: .v2, source: nil, destination: nil, length: length))
        }
        guard addressLength >= 2 * addressBytes + 4 else {
            return .invalid("v2 header: \(addressLength) bytes cannot hold the addresses of family 0x\(String(family, radix: 16))")
        }
        // Whatever follows the addresses (TLVs) is skipped.
        let sourceStart = 16
        let destinationStart = sourceStart + addressBytes
        let portsStart = destinationStart + addressBytes
        let sourcePort = Int(bytes[portsStart]) << 8 | Int(bytes[portsStart + 1])
        let destinationPort = Int(bytes[portsStart + 2]) << 8 | Int(bytes[portsStart + 3])
        let source = try? SocketAddress(
            packedIPAddress: ByteBuffer(bytes: bytes[sourceStart..<destinationStart]), port: sourcePort
        )
        let destination = try? SocketAddress(
            packedIPAddress: ByteBuffer(bytes: bytes[destinationStart..<portsStart]), port: destinationPort
        )
        return .header(ProxyProtocolHeader(version: .v2, source: source, destination: destination, length: length))
    }
}
