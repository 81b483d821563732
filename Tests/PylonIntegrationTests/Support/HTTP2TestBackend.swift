import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// An in-process HTTP/2 origin server on 127.0.0.1:<ephemeral>: h2c with prior knowledge,
/// or HTTPS with a context that offers `h2` in ALPN.
///
/// Every `TestBackend` route works on it (each stream runs a `TestBackendHandler` behind
/// nio-http2's HTTP/1 server codec), plus the HTTP/2-only ones of `HTTP2TestStreamHandler`:
/// gRPC-shaped calls, trailers both ways, and an upstream that dies. It counts connections
/// and records request heads like `TestBackend`, and what only HTTP/2 has: the most streams
/// open at once on one connection, the GOAWAYs it sent, the request trailers it got.
final class HTTP2TestBackend: Sendable, CustomStringConvertible {
    struct Options: Sendable {
        /// Its `SETTINGS_MAX_CONCURRENT_STREAMS`.
        var maxConcurrentStreams = 100
        /// After this many streams on a connection: GOAWAY with the last stream opened, the
        /// streams up to it finish, then the connection closes (a server restarting its
        /// connections, or shutting down gracefully).
        var goAwayAfterStreams: Int?
    }

    let name: String
    let port: Int
    var address: String { "127.0.0.1:\(port)" }
    var description: String { "HTTP2TestBackend(\(name) @ \(address))" }

    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let recorder = TestBackendRecorder()
    let streams = HTTP2TestBackendStats()
    private let connections = NIOLockedValueBox<[any Channel]>([])

    /// `tls`: HTTPS with this context (it should offer `h2` in ALPN) instead of h2c.
    init(name: String = "h2-backend", tls: NIOSSLContext? = nil, options: Options = Options()) throws {
        let configuration = TestBackend.Configuration(name: name, extraHeaders: [], answersExpectContinue: true)
        let recorder = self.recorder
        let stats = self.streams
        let connections = self.connections
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                recorder.connectionAccepted()
                connections.withLockedValue { $0.append(channel) }
                channel.closeFuture.whenComplete { _ in recorder.connectionClosed() }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    let connection = HTTP2TestBackendConnection(
                        stats: stats, goAwayAfterStreams: options.goAwayAfterStreams, eventLoop: channel.eventLoop
                    )
                    var settings = NIOHTTP2Handler.ConnectionConfiguration()
                    settings.initialSettings = [
                        HTTP2Setting(parameter: .maxConcurrentStreams, value: options.maxConcurrentStreams),
                        HTTP2Setting(parameter: .maxHeaderListSize, value: 64 * 1024),
                    ]
                    try sync.addHandler(
                        NIOHTTP2Handler(
                            mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: settings,
                            streamDelegate: connection.streamDelegate
                        ) { stream in
                            stream.eventLoop.makeCompletedFuture {
                                let streamSync = stream.pipeline.syncOperations
                                try streamSync.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                                try streamSync.addHandler(HTTP2TestStreamHandler(recorder: recorder, stats: stats))
                                try streamSync.addHandler(TestBackendHandler(configuration: configuration, recorder: recorder))
                            }
                        }
                    )
                    try sync.addHandler(connection)
                }
            }
        do {
            serverChannel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.name = name
        self.group = group
        self.port = serverChannel.localAddress?.port ?? 0
    }

    /// Every request head received (every stream), in arrival order.
    var receivedRequests: [HTTPRequestHead] { recorder.requests }
    /// Connections accepted since start.
    var acceptedConnections: Int { recorder.accepted }

    /// Stops reading every connection open now, as a hung server or a lost network would:
    /// nothing is answered on them any more, not even a PING, and nothing is closed.
    /// Connections accepted later are served as usual.
    func freezeConnections() throws {
        for channel in connections.withLockedValue({ $0 }) {
            try channel.setOption(ChannelOptions.autoRead, value: false).wait()
        }
    }

    /// Closes the listener and all connections; idempotent.
    func shutdown() {
        try? serverChannel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// What an `HTTP2TestBackend` saw that only HTTP/2 has; thread-safe.
final class HTTP2TestBackendStats: Sendable {
    private struct Records {
        var mostConcurrentStreams = 0
        var goAwaysSent = 0
        var pingsReceived = 0
        var requestTrailers: [[String: String]] = []
    }

    private let records = NIOLockedValueBox(Records())

    /// The most streams open at once on any one connection.
    var mostConcurrentStreams: Int { records.withLockedValue { $0.mostConcurrentStreams } }
    var goAwaysSent: Int { records.withLockedValue { $0.goAwaysSent } }
    /// PINGs received (not counting ACKs), on every connection.
    var pingsReceived: Int { records.withLockedValue { $0.pingsReceived } }
    /// The trailer fields of every request that had some, lowercased names.
    var requestTrailers: [[String: String]] { records.withLockedValue { $0.requestTrailers } }

    func streamsOpen(_ count: Int) { records.withLockedValue { $0.mostConcurrentStreams = max($0.mostConcurrentStreams, count) } }
    func sentGoAway() { records.withLockedValue { $0.goAwaysSent += 1 } }
    func receivedPing() { records.withLockedValue { $0.pingsReceived += 1 } }
    func receivedTrailers(_ trailers: HTTPHeaders) {
        let fields = trailers.reduce(into: [:]) { $0[$1.name.lowercased()] = $1.value }
        records.withLockedValue { $0.requestTrailers.append(fields) }
    }
}
