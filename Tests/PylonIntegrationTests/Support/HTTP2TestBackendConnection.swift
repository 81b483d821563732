import NIOCore
import NIOHTTP2

/// One connection of an `HTTP2TestBackend`: counts its open streams and, when configured,
/// says GOAWAY after so many streams, finishes the streams up to the last one opened and
/// then closes.
final class HTTP2TestBackendConnection: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let stats: HTTP2TestBackendStats
    private let goAwayAfterStreams: Int?
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private var streamsStarted = 0
    private var lastStreamID = HTTP2StreamID(0)
    private var goingAway = false

    init(stats: HTTP2TestBackendStats, goAwayAfterStreams: Int?, eventLoop: any EventLoop) {
        self.stats = stats
        self.goAwayAfterStreams = goAwayAfterStreams
        self.eventLoop = eventLoop
    }

    var streamDelegate: StreamDelegate { StreamDelegate(self) }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    fileprivate func streamCreated(_ id: HTTP2StreamID) {
        openStreams += 1
        streamsStarted += 1
        lastStreamID = max(lastStreamID, id)
        stats.streamsOpen(openStreams)
        guard let limit = goAwayAfterStreams, streamsStarted >= limit, !goingAway, let context else { return }
        goingAway = true
        stats.sentGoAway()
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
    }

    fileprivate func streamClosed(_ id: HTTP2StreamID) {
        openStreams -= 1
        guard goingAway, openStreams == 0, let context else { return }
        // On the next tick: the stream's last frame may still wait for a flush.
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            loopBound.value.flush()
            loopBound.value.close(promise: nil)
        }
    }

    /// Frames of the connection itself (stream 0) come here: PINGs are counted. nio-http2
    /// has already answered them.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .ping(_, ack: false) = unwrapInboundIn(data).payload { stats.receivedPing() }
    }

    /// nio-http2 reports stream errors here too; only the socket failing ends the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !(error is any NIOHTTP2Error) { context.close(promise: nil) }
    }

    /// Hands nio-http2's stream lifecycle to the connection, on its event loop.
    struct StreamDelegate: NIOHTTP2StreamDelegate {
        private let connection: NIOLoopBound<HTTP2TestBackendConnection>

        fileprivate init(_ connection: HTTP2TestBackendConnection) {
            self.connection = NIOLoopBound(connection, eventLoop: connection.eventLoop)
        }

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) { connection.value.streamCreated(id) }
        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) { connection.value.streamClosed(id) }
    }
}
