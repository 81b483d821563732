public import NIOCore

/// What a PROXY protocol header (HAProxy's `proxy-protocol.txt`, v1 or v2) said about the
/// connection it came in front of.
public struct ProxyProtocolHeader: Sendable, Equatable {
    public enum Version: Sendable, Equatable {
        /// The text line, `PROXY TCP4 … \r\n`.
        case v1
        /// The binary block after the 12-byte signature.
        case v2
    }

    public var version: Version
    /// The original client, as the sending proxy saw it. Nil when the header carries no
    /// usable address (v1 `UNKNOWN`, v2 `LOCAL`, or a v2 family other than TCP over
    /// IPv4/IPv6): the connection's own endpoints then stand, as the specification says.
    public var source: SocketAddress?
    /// The address the client connected to on the sending proxy; nil like `source`.
    public var destination: SocketAddress?
    /// The bytes the header took on the wire (consumed from the input).
    public var length: Int

    public init(version: Version, source: SocketAddress?, destination: SocketAddress?, length: Int) {
        self.version = version
        self.source = source
        self.destination = destination
        self.length = length
    }
}

/// Why the bytes at the start of a connection are not a valid PROXY protocol header.
/// Every such error closes the connection: the specification forbids guessing.
public struct ProxyProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { self.reason }
}
