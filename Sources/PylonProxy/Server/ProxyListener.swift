public import NIOCore

/// A socket the server accepts clients on: bound by the server, or an already
/// listening socket handed to it (by a supervising process or systemd).
public struct ProxyListener: Sendable {
    public enum Socket: Sendable {
        /// Bind and listen on this address (SO_REUSEADDR).
        case bind(SocketAddress)
        /// Accept on this inherited, already listening descriptor. The server closes only
        /// its own copy; other holders keep accepting.
        case adopt(fileDescriptor: CInt)
    }

    /// The listener's name, as configured; sessions carry it.
    public var name: String
    public var socket: Socket
    /// `http` (TLS listeners come with their own scheme).
    public var scheme: String

    public init(name: String, socket: Socket, scheme: String = "http") {
        self.name = name
        self.socket = socket
        self.scheme = scheme
    }
}
