import Logging
import NIOCore
import NIOHTTP2

/// Sits on an HTTP/2 client connection behind `NIOHTTP2Handler` and looks after the
/// connection as a whole: the client details every stream shares (addresses looked up
/// once, the PROXY protocol source), the streams that are open, the connection window, the
/// idle timeout, keep-alive PINGs, the maximum age, the graceful close on a drain, and
/// closing after connection errors.
///
/// Graceful close (RFC 9113 §6.8) in two phases, so no stream the client already sent is
/// refused: first a GOAWAY with the highest possible stream ID and a PING; once the PING's
/// ACK shows the client has seen that GOAWAY (or after `finalGoAwayDelay` if it never
/// answers), a second GOAWAY with the last stream actually opened. Streams up to it are
/// finished; the connection closes when the last one is done (or at the server's drain
/// deadline, or when the maximum age's grace runs out). A drain, the idle timeout and the
/// maximum age all close this way.
///
/// The first GOAWAY is written below `NIOHTTP2Handler`, as a fixed 17-byte frame: once
/// nio-http2 (1.46) has *sent* any GOAWAY it refuses every new stream, even one the client
/// opened before it saw the GOAWAY, which would defeat the first phase. The second goes
/// through nio-http2 like every other frame, so its state machine knows the real limit.
///
/// Every timer runs on the connection's event loop clock (`eventLoop.now`), so tests can
/// drive them with an `EmbeddedEventLoop`.
final class HTTP2ClientConnection: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// How long the client has to acknowledge the PING after the first GOAWAY.
    static var finalGoAwayDelay: TimeAmount { .seconds(1) }

    enum Closing {
        case open
        /// The first GOAWAY and its PING are out.
        case awaitingPingAck
        /// The final GOAWAY is out: the connection closes with its last stream.
        case finalGoAwaySent
    }

    let logger: Logger
    let idleTimeout: TimeAmount
    let keepAlive: HTTP2ServerConfiguration.KeepAlive?
    /// This connection's maximum age, already spread (see `spread(_:)`); nil: none.
    let maxAge: TimeAmount?
    let maxAgeGrace: TimeAmount?
    private let connectionWindow: Int
    let eventLoop: any EventLoop
    private(set) var remoteAddress: SocketAddress?
    private(set) var remoteIP: String?
    private(set) var localAddress: SocketAddress?
    private(set) var proxyProtocolSource: SocketAddress?
    private(set) var proxyProtocolSourceIP: String?
    /// The above with the listener's name, shared by the connection's streams; made at the first.
    private var clientInfo: ClientConnectionInfo?
    /// Streams started on this connection so far.
    var streamsStarted = 0

    var context: ChannelHandlerContext?
    /// Whether the timers run and the connection window was announced: once the channel is
    /// active and nio-http2 has sent its SETTINGS.
    private var started = false
    var openStreams = 0
    /// The client closed its side (TLS close_notify, or a FIN): no new stream can come.
    private var inputClosed = false
    private var lastStreamID = HTTP2StreamID(0)
    var closing = Closing.open
    private let goAwayPingData: HTTP2PingData
    let keepAlivePingData: HTTP2PingData
    private var goAwayTimer: Scheduled<Void>?
    /// When the connection has had no stream since, and its timer (re-checked when it fires).
    var idleSince: NIODeadline?
    var idleTimer: Scheduled<Void>?
    /// When the client last sent anything, and the timer that PINGs it after a quiet
    /// `keepAlive.interval` (re-checked when it fires).
    var lastReadAt: NIODeadline?
    var keepAliveTimer: Scheduled<Void>?
    /// Runs while a keep-alive PING waits for an answer; closes the connection when it fires.
    var keepAliveTimeoutTimer: Scheduled<Void>?
    var maxAgeTimer: Scheduled<Void>?
    var maxAgeGraceTimer: Scheduled<Void>?
    var failed = false

    init(logger: Logger, idleTimeout: TimeAmount, http2: HTTP2ServerConfiguration, eventLoop: any EventLoop) {
        self.logger = logger
        self.idleTimeout = idleTimeout
        self.keepAlive = http2.keepAlive
        self.maxAge = http2.maxConnectionAge.map(Self.spread)
        self.maxAgeGrace = http2.maxConnectionAgeGrace
        self.connectionWindow = http2.connectionWindow
        self.eventLoop = eventLoop
        let pingData = UInt64.random(in: .min ... .max)
        self.goAwayPingData = HTTP2PingData(withInteger: pingData)
        self.keepAlivePingData = HTTP2PingData(withInteger: ~pingData)
    }

    /// Who the streams' requests come from, for their sessions.
    func clientInfo(listenerName: String, eventLoop: any EventLoop) -> ClientConnectionInfo {
        if let info = self.clientInfo { return info }
        let info = ClientConnectionInfo(
            clientAddress: self.remoteAddress, clientIP: self.remoteIP, proxyProtocolSource: self.proxyProtocolSource,
            proxyProtocolSourceIP: self.proxyProtocolSourceIP, localAddress: self.localAddress, listenerName: listenerName,
            scheme: "https", eventLoop: eventLoop
        )
        self.clientInfo = info
        return info
    }

    /// Tells this connection about nio-http2's streams; pass it to `NIOHTTP2Handler`.
    var streamDelegate: StreamDelegate { StreamDelegate(self) }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.remoteAddress = context.channel.remoteAddress
        self.remoteIP = self.remoteAddress?.ipAddress
        self.localAddress = context.channel.localAddress
        // Installed after the TLS handshake, so normally already active.
        if context.channel.isActive { self.start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimers()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        // nio-http2, before this handler, has sent its SETTINGS by now.
        self.start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelTimers()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .ping(let data, ack: true) = self.unwrapInboundIn(data).payload, data == self.goAwayPingData,
            case .awaitingPingAck = self.closing
        {
            self.sendFinalGoAway()
        }
        context.fireChannelRead(data)
    }

    /// Follows every read of the connection's bytes, whichever stream their frames were for
    /// (stream frames go to the stream channels, not through here): the client is alive.
    func channelReadComplete(context: ChannelHandlerContext) {
        self.clientWasHeardFrom()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ProxyDrainEvent:
            self.beginGracefulClose()
        case let header as ProxyProtocolHeader:
            self.proxyProtocolSource = header.source
            self.proxyProtocolSourceIP = header.source?.ipAddress
            self.clientInfo = nil
        case ChannelEvent.inputClosed:
            // The client is done sending. The streams in flight are still answered (it may
            // read on), then the connection closes: left open, every client that hangs up
            // first would leave a connection in CLOSE_WAIT until the idle timeout.
            self.inputClosed = true
            if self.openStreams == 0 { self.closeAfterFlush() }
            context.fireUserInboundEventTriggered(event)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let streamError = error as? NIOHTTP2Errors.StreamError {
            // nio-http2 reset that stream; the others go on.
            self.logger.debug(
                "HTTP/2 stream error",
                metadata: ["client": "\(self.remoteIP ?? "?")", "stream": "\(streamError.streamID)", "error": "\(streamError.baseError)"]
            )
            return
        }
        if error is IOError {
            // A reset or broken socket: the client went away, nothing to report at info.
            self.logger.debug("HTTP/2 client connection failed", metadata: ["client": "\(self.remoteIP ?? "?")", "error": "\(error)"])
            self.failed = true
            context.close(promise: nil)
            return
        }
        if error is NIOHTTP2Errors.MaxStreamsViolation {
            // nio-http2 (1.46) answers a stream over the advertised limit with GOAWAY
            // PROTOCOL_ERROR whose last stream is the maximum, and goes on serving the streams
            // in flight. Name the real last stream, so the client knows the refused one was
            // never processed and may retry it elsewhere, and close once the others are done.
            self.logger.info(
                "HTTP/2 client opened more concurrent streams than allowed; closing after the streams in flight",
                metadata: ["client": "\(self.remoteAddress?.ipAddressAndPort ?? "?")", "open_streams": "\(self.openStreams)"]
            )
            self.idleTimer?.cancel()
            self.idleTimer = nil
            if case .finalGoAwaySent = self.closing { return }
            self.sendFinalGoAway(errorCode: .protocolError)
            return
        }
        guard Self.isConnectionError(error) else {
            self.logger.debug("HTTP/2 stream error", metadata: ["client": "\(self.remoteIP ?? "?")", "error": "\(error)"])
            return
        }
        guard !self.failed else { return }
        self.failed = true
        self.logger.info(
            "HTTP/2 connection error; closing",
            metadata: ["client": "\(self.remoteAddress?.ipAddressAndPort ?? "?")", "error": "\(Self.describe(error))"]
        )
        // nio-http2 wrote a GOAWAY with the error code before reporting the error.
        self.closeAfterFlush()
    }

    // MARK: Start

    private func start(context: ChannelHandlerContext) {
        guard !self.started else { return }
        self.started = true
        self.announceConnectionWindow(context: context)
        let now = context.eventLoop.now
        self.idleSince = now
        self.lastReadAt = now
        self.armIdleTimer()
        self.armKeepAliveTimer()
        self.armMaxAgeTimer()
    }

    /// Every connection starts with a 65,535-byte window (RFC 9113 §6.9.2) that only a
    /// WINDOW_UPDATE can grow. Sent at once, the configured window applies to the first
    /// request bodies too, not only after nio-http2 first replenishes it.
    private func announceConnectionWindow(context: ChannelHandlerContext) {
        let increment = self.connectionWindow - HTTP2ServerLimits.initialConnectionWindow
        guard increment > 0 else { return }
        let update = HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment))
        context.writeAndFlush(self.wrapOutboundOut(update), promise: nil)
    }

    // MARK: Streams

    fileprivate func streamCreated(_ id: HTTP2StreamID) {
        self.openStreams += 1
        self.lastStreamID = max(self.lastStreamID, id)
        self.idleSince = nil
    }

    fileprivate func streamClosed(_ id: HTTP2StreamID) {
        self.openStreams -= 1
        guard self.openStreams == 0 else { return }
        if self.inputClosed { return self.closeAfterFlush() }
        switch self.closing {
        case .finalGoAwaySent:
            self.closeAfterFlush()
        case .open:
            self.idleSince = self.eventLoop.now
            self.armIdleTimer()
        case .awaitingPingAck:
            break
        }
    }

    // MARK: Graceful close

    func beginGracefulClose() {
        guard case .open = self.closing, let context = self.context else { return }
        self.closing = .awaitingPingAck
        self.idleTimer?.cancel()
        self.idleTimer = nil
        if let frameHandler = try? context.pipeline.syncOperations.context(handlerType: NIOHTTP2Handler.self) {
            frameHandler.writeAndFlush(NIOAny(Self.goAwayWithMaximumStreamID), promise: nil)
        }
        context.writeAndFlush(self.wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .ping(self.goAwayPingData, ack: false))), promise: nil)
        self.goAwayTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.finalGoAwayDelay) { [self] in
            self.goAwayTimer = nil
            if case .awaitingPingAck = self.closing { self.sendFinalGoAway() }
        }
    }

    private func sendFinalGoAway(errorCode: HTTP2ErrorCode = .noError) {
        guard let context = self.context else { return }
        self.closing = .finalGoAwaySent
        self.goAwayTimer?.cancel()
        self.goAwayTimer = nil
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: self.lastStreamID, errorCode: errorCode, opaqueData: nil))
        context.writeAndFlush(self.wrapOutboundOut(goAway), promise: nil)
        if self.openStreams == 0 { self.closeAfterFlush() }
    }

    /// GOAWAY, last stream 2^31-1, NO_ERROR: "no new streams, but all you sent are taken".
    private static var goAwayWithMaximumStreamID: ByteBuffer {
        ByteBuffer(bytes: [
            0x00, 0x00, 0x08,  // length
            0x07,  // type GOAWAY
            0x00,  // flags
            0x00, 0x00, 0x00, 0x00,  // stream 0
            0x7F, 0xFF, 0xFF, 0xFF,  // last stream ID
            0x00, 0x00, 0x00, 0x00,  // NO_ERROR
        ])
    }

    /// Closes on the next loop tick: a stream's last frame, or the GOAWAY, may still sit in
    /// nio-http2's buffer until the flush that follows the event that got us here.
    func closeAfterFlush() {
        guard let context = self.context else { return }
        context.flush()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute { loopBound.value.close(promise: nil) }
    }

    private func cancelTimers() {
        self.cancelConnectionTimers()
        self.goAwayTimer?.cancel()
        self.goAwayTimer = nil
    }

    // MARK: Errors

    /// Errors after which nio-http2 has sent a GOAWAY and will not read the connection
    /// further: a bad preface, undecodable frames, and the abuse limits.
    private static func isConnectionError(_ error: any Error) -> Bool {
        switch error {
        case is NIOHTTP2Errors.BadClientMagic, is NIOHTTP2Errors.MissingPreface, is NIOHTTP2Errors.UnableToParseFrame,
            is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock, is NIOHTTP2Errors.ExcessiveContinuationFrames,
            is NIOHTTP2Errors.ExcessiveRSTFrames, is NIOHTTP2Errors.ExcessiveStreamErrors,
            is NIOHTTP2Errors.ExcessiveEmptyDataFrames, is NIOHTTP2Errors.ExcessiveOutboundFrameBuffering,
            is NIOHTTP2Errors.ExcessiveControlFrames, is NIOHTTP2Errors.ExcessiveNumberOfGlitches:
            return true
        default:
            // Anything that is not nio-http2's (socket errors) ends the connection too.
            return !(error is any NIOHTTP2Error)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case is NIOHTTP2Errors.BadClientMagic: "not an HTTP/2 connection preface"
        case is NIOHTTP2Errors.ExcessiveRSTFrames: "too many stream resets (rapid reset)"
        default: "\(error)"
        }
    }
}

extension HTTP2ClientConnection {
    /// Hands nio-http2's stream lifecycle to the connection; always called on its event loop.
    /// A class: nio-http2 copies its delegate into every stream it creates, and one reference
    /// fits in an existential where the loop-bound pair would be boxed.
    final class StreamDelegate: NIOHTTP2StreamDelegate {
        private let connection: NIOLoopBound<HTTP2ClientConnection>

        fileprivate init(_ connection: HTTP2ClientConnection) {
            self.connection = NIOLoopBound(connection, eventLoop: connection.eventLoop)
        }

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            self.connection.value.streamCreated(id)
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            self.connection.value.streamClosed(id)
        }
    }
}
