import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP2

@testable import PylonProxy

/// An HTTP/2 server connection built as Pylon builds one (nio-http2 with the listener's
/// settings and limits, then `HTTP2ClientConnection`; perhaps Pylon's streams too) and a
/// plain nio-http2 client, both on one `EmbeddedEventLoop`. The bytes between them move only
/// in `exchange()`, so a test decides whether the client hears the server at all, and time
/// moves only with `advance`.
final class HTTP2ConnectionPair {
    /// Frames that reached the end of a pipeline, in order.
    final class FrameRecorder: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame
        var frames: [HTTP2Frame] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.frames.append(self.unwrapInboundIn(data))
        }
    }

    /// The server side of each stream the client opened; nothing answers until the test does.
    final class StreamChannels {
        var channels: [any Channel] = []
    }

    /// Log lines at info and above, for assertions on what an operator would see. Only
    /// ever used on the test's thread, where the embedded loop runs.
    final class LogLines: LogHandler, @unchecked Sendable {
        var lines: [String] = []
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.lines.append("\(event.message)")
        }
    }

    let loop: EmbeddedEventLoop
    let server: EmbeddedChannel
    let client: EmbeddedChannel
    let clientFrames = FrameRecorder()
    let logLines = LogLines()
    private let streams = StreamChannels()
    /// False: the server's bytes are dropped, as if the client had vanished.
    var clientIsListening = true

    /// The server's streams are left to the test (`finishStream`).
    convenience init(http2: HTTP2ServerConfiguration, idleTimeout: TimeAmount = .seconds(3600)) throws {
        try self.init { server, loop, logger, streams in
            let connection = HTTP2ClientConnection(logger: logger, idleTimeout: idleTimeout, http2: http2, eventLoop: loop)
            let streams = NIOLoopBound(streams, eventLoop: loop)
            let frameHandler = NIOHTTP2Handler(
                mode: .server,
                eventLoop: loop,
                connectionConfiguration: HTTP2ServerLimits.connection(http2, parserLimits: HTTP1RequestParser.Limits()),
                streamConfiguration: HTTP2ServerLimits.stream(http2),
                streamDelegate: connection.streamDelegate
            ) { stream in
                streams.value.channels.append(stream)
                return stream.eventLoop.makeSucceededVoidFuture()
            }
            try server.pipeline.syncOperations.addHandler(frameHandler)
            try server.pipeline.syncOperations.addHandler(connection)
        }
    }

    /// The server is Pylon's whole HTTP/2 pipeline (`HTTP2ConnectionPipeline`): each stream
    /// is served by `proxy`.
    convenience init<Proxy: ProxyHTTP>(proxy: Proxy, configuration: ProxyServerConfiguration = ProxyServerConfiguration()) throws {
        try self.init { server, loop, logger, _ in
            try HTTP2ConnectionPipeline.install(
                on: server,
                phases: ProxyPhases(proxy),
                configuration: configuration,
                http2: HTTP2ServerConfiguration(),
                pool: UpstreamPool(eventLoop: loop, logger: logger),
                listenerName: "test",
                logger: logger
            )
        }
    }

    private init(installServer: (EmbeddedChannel, EmbeddedEventLoop, Logger, StreamChannels) throws -> Void) throws {
        let loop = EmbeddedEventLoop()
        self.loop = loop
        self.server = EmbeddedChannel(loop: loop)
        self.client = EmbeddedChannel(loop: loop)
        let address = try SocketAddress(ipAddress: "192.0.2.7", port: 40000)
        // As after a TLS handshake: the connection is active before the HTTP/2 handlers come.
        try self.server.connect(to: address).wait()
        let logLines = self.logLines
        try installServer(self.server, loop, Logger(label: "test", factory: { _ in logLines }), self.streams)
        // Takes the connection-level frames the connection handler passes on, as a real
        // pipeline's tail would, rather than piling them up in the embedded channel.
        try self.server.pipeline.syncOperations.addHandler(FrameRecorder())

        try self.client.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .client))
        try self.client.pipeline.syncOperations.addHandler(self.clientFrames)
        try self.client.connect(to: address).wait()
        try self.exchange()
    }

    /// Moves bytes both ways until neither side has more to say.
    func exchange() throws {
        var moved = true
        while moved {
            moved = false
            // Tasks due now, such as the flush `HTTP2FlushCoalescer` holds to the end of a tick.
            self.loop.run()
            while let bytes = try self.server.readOutbound(as: ByteBuffer.self) {
                moved = true
                if self.clientIsListening, self.client.isActive { try self.client.writeInbound(bytes) }
            }
            while let bytes = try self.client.readOutbound(as: ByteBuffer.self) {
                moved = true
                if self.server.isActive { try self.server.writeInbound(bytes) }
            }
        }
    }

    /// Lets `time` pass on both sides, then moves what the timers wrote.
    func advance(by time: TimeAmount) throws {
        self.loop.advanceTime(by: time)
        try self.exchange()
    }

    /// The client opens stream `id` with a GET; the server side leaves it open.
    func openStream(_ id: Int) throws {
        let frame = HTTP2Frame(
            streamID: HTTP2StreamID(id),
            payload: .headers(.init(headers: [":method": "GET", ":scheme": "https", ":path": "/", ":authority": "a.test"], endStream: true))
        )
        self.client.writeAndFlush(frame, promise: nil)
        try self.exchange()
    }

    /// The server answers the `index`th stream opened with a 200 and ends it.
    func finishStream(_ index: Int) throws {
        let response = HTTP2Frame.FramePayload.headers(.init(headers: [":status": "200"], endStream: true))
        self.streams.channels[index].writeAndFlush(response, promise: nil)
        try self.exchange()
    }

    /// PINGs the client received that the server started (not ACKs).
    var pingsToClient: Int {
        self.clientFrames.frames.filter {
            if case .ping(_, ack: false) = $0.payload { return true }
            return false
        }.count
    }

    /// The GOAWAYs the client received, as (last stream ID, error code).
    var goAways: [(lastStreamID: Int, errorCode: HTTP2ErrorCode)] {
        self.clientFrames.frames.compactMap {
            if case .goAway(let lastStreamID, let errorCode, _) = $0.payload { return (Int(lastStreamID), errorCode) }
            return nil
        }
    }

    func finish() {
        _ = try? self.client.finish(acceptAlreadyClosed: true)
        _ = try? self.server.finish(acceptAlreadyClosed: true)
    }
}
