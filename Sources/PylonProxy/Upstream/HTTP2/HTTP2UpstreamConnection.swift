import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2

/// One HTTP/2 connection to an upstream, carrying many requests as streams. It sits behind
/// `NIOHTTP2Handler` in the connection's pipeline and keeps the count nio-http2 does not
/// keep for us: how many streams the upstream allows (its `SETTINGS_MAX_CONCURRENT_STREAMS`)
/// and how many are open, so `HTTP2UpstreamPool` opens another connection instead of
/// queueing streams behind a full one.
///
/// Each stream runs one request through nio-http2's HTTP/1 client codec into an
/// `UpstreamConnection`, the same handler that serves HTTP/1.1 upstream connections, so
/// the clients' side sees no difference.
///
/// GOAWAY from the upstream retires the connection: no new streams, the ones in flight
/// (up to its last stream ID) finish, and it closes with the last of them; nio-http2
/// refuses the streams beyond that ID (`ProxyError.Kind.upstreamRefusedStream`). A request
/// that wants a stream while the connection is reading waits for the read to end: nio-http2
/// sends what streams write during a read only after it, and a GOAWAY later in the same read
/// would make their HEADERS a connection error that fails every stream on it. When the
/// connection is lost, every open stream's `UpstreamConnection` sees it close and fails
/// its request. An idle connection (no stream open) is closed after the peer's idle
/// timeout, or at once when the peer keeps no idle connections. With the peer's
/// `http2PingInterval` set, a connection silent for that long is PINGed, and closed when
/// nothing comes within its `http2PingTimeout` (`HTTP2UpstreamLiveness`).
final class HTTP2UpstreamConnection: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame
    typealias Completion = (Result<UpstreamConnection, ProxyError>) -> Void

    /// A request waiting for its stream.
    private struct StreamRequest {
        var peer: HTTPPeer
        var completion: Completion
    }

    enum State {
        /// Waiting for the upstream's first SETTINGS: no stream is opened before it said
        /// how many it takes.
        case starting
        /// Opening streams, up to the upstream's limit.
        case ready
        /// GOAWAY received, an HTTP/2 error, or closing idle: the streams in flight finish,
        /// no new one opens.
        case goingAway
        case closed
    }

    let poolKey: UpstreamPoolKey
    /// `1.2.3.4:80`, for error messages, as `UpstreamConnection` names its peer.
    let peerAddress: String
    private(set) var state = State.starting
    /// Streams the upstream allows at once; known once the connection is ready.
    private(set) var maxConcurrentStreams = HTTP2UpstreamLimits.defaultMaxConcurrentStreams
    /// Streams opened (or being opened) here and not closed yet.
    private(set) var openStreams = 0
    /// The last stream the upstream's GOAWAY said it processes; later ones it refused.
    private(set) var goAwayLastStreamID: HTTP2StreamID?
    /// Told when this connection can take more streams, stops taking them, or closes.
    weak var pool: HTTP2UpstreamPool?

    private let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    private let scheme: HTTP2FramePayloadToHTTP1ClientCodec.HTTPProtocol
    private let idleTimeout: TimeAmount
    private let keepsIdle: Bool
    private let eventLoop: any EventLoop
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var readyPromise: EventLoopPromise<Void>?
    /// The upstream's first SETTINGS came in the read under way; ready once it is done.
    private var settingsReceived = false
    /// Between the start of a read (`HTTP2UpstreamReadMarker`) and its end.
    private var reading = false
    /// Requests that asked for a stream during a read: their streams open once it ended.
    private var requestsAfterRead: [StreamRequest] = []
    /// Streams set up during a read, handed to their requests once it ended.
    private var streamsAfterRead: [(stream: any Channel, request: StreamRequest)] = []
    private var readyTimer: Scheduled<Void>?
    /// Since when no stream has been open, and its timer (re-checked when it fires).
    private var idleSince: NIODeadline?
    private var idleTimer: Scheduled<Void>?
    /// Nil without a PING interval.
    private var liveness: HTTP2UpstreamLiveness?
    private var livenessTimer: Scheduled<Void>?

    init(peer: HTTPPeer, multiplexer: NIOHTTP2Handler.StreamMultiplexer, eventLoop: any EventLoop, logger: Logger) {
        self.poolKey = peer.poolKey
        self.peerAddress = peer.address.ipAddressAndPort
        self.multiplexer = multiplexer
        self.scheme = peer.tls == nil ? .http : .https
        self.idleTimeout = peer.idleTimeout
        self.keepsIdle = peer.maxIdleConnections > 0
        self.liveness = peer.http2PingInterval.map {
            HTTP2UpstreamLiveness(interval: $0, timeout: peer.http2PingTimeout, now: .now())
        }
        self.eventLoop = eventLoop
        self.logger = logger
        self.readyPromise = eventLoop.makePromise(of: Void.self)
    }

    /// Whether a request can have a stream here now.
    var canOpenStream: Bool { self.state == .ready && self.openStreams < self.maxConcurrentStreams }

    /// Succeeds once the upstream's first SETTINGS arrived; fails (and closes the
    /// connection) if it closes before, says GOAWAY, or `deadline` passes.
    func ready(by deadline: NIODeadline) -> EventLoopFuture<Void> {
        guard let promise = self.readyPromise else {
            return self.eventLoop.makeFailedFuture(self.notReadyError)
        }
        self.readyTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.readyTimer = nil
            self.failReady(ProxyError(.connectTimeout, "upstream \(self.peerAddress) sent no HTTP/2 SETTINGS in time"))
            self.context?.close(promise: nil)
        }
        return promise.futureResult
    }

    private var notReadyError: ProxyError {
        ProxyError(.connectFailed, "upstream \(self.peerAddress) ended the HTTP/2 connection before it was ready")
    }

    private func succeedReady() {
        self.readyTimer?.cancel()
        self.readyTimer = nil
        let promise = self.readyPromise
        self.readyPromise = nil
        promise?.succeed()
    }

    private func failReady(_ error: ProxyError) {
        self.readyTimer?.cancel()
        self.readyTimer = nil
        let promise = self.readyPromise
        self.readyPromise = nil
        promise?.fail(error)
    }

    // MARK: Streams

    /// Opens a stream for one request to `peer` and hands over its `UpstreamConnection`.
    /// Only while `canOpenStream`.
    ///
    /// Nothing is handed over in the middle of a read of this connection: nio-http2 sends
    /// what a stream writes then only once the read is done, and a GOAWAY later in that read
    /// makes a new stream's HEADERS a connection error that fails every stream on it. At the
    /// end of the read a connection that took a GOAWAY gives its requests back to the pool.
    func openStream(for peer: HTTPPeer, completion: @escaping Completion) {
        assert(self.canOpenStream)
        self.openStreams += 1
        self.idleSince = nil
        let request = StreamRequest(peer: peer, completion: completion)
        if self.reading {
            self.requestsAfterRead.append(request)
        } else {
            self.createStream(for: request)
        }
    }

    /// A read of the connection begins; told by `HTTP2UpstreamReadMarker`, in front of nio-http2.
    func readBegan() {
        self.reading = true
    }

    private func createStream(for request: StreamRequest) {
        let scheme = self.scheme
        let peerAddress = self.peerAddress
        let peer = request.peer
        let created = self.eventLoop.makePromise(of: (any Channel).self)
        self.multiplexer.createStreamChannel(promise: created) { stream in
            stream.eventLoop.makeCompletedFuture {
                let sync = stream.pipeline.syncOperations
                try sync.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: scheme))
                try sync.addHandler(HTTP2UpstreamStreamClosing())
                try sync.addHandler(HTTP2UpstreamStreamErrors(peerName: peerAddress))
                let connection = UpstreamConnection(peer: peer, isHTTP2Stream: true)
                try sync.addHandler(HTTP2UpstreamStreamRelay(to: connection))
                try sync.addHandler(connection)
            }
        }
        // Not always at once: the stream may be ready only after a read that said GOAWAY.
        created.futureResult.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let stream):
                stream.closeFuture.assumeIsolated().whenComplete { [self] _ in self.streamClosed() }
                self.handOver(stream, to: request)
            case .failure(let error):
                self.streamClosed()
                request.completion(.failure(ProxyError(.connectFailed, "upstream \(peerAddress): no stream: \(error)")))
            }
        }
    }

    private func handOver(_ stream: any Channel, to request: StreamRequest) {
        guard self.state == .ready else {
            // Nothing was sent on it: it closes without a frame, and the request goes elsewhere.
            stream.close(promise: nil)
            self.giveBack(request)
            return
        }
        if self.reading {
            self.streamsAfterRead.append((stream, request))
            return
        }
        do {
            let sync = stream.pipeline.syncOperations
            try sync.handler(type: HTTP2UpstreamStreamErrors.self).connection = self
            request.completion(.success(try sync.handler(type: UpstreamConnection.self)))
        } catch {
            stream.close(promise: nil)
            request.completion(.failure(ProxyError(.connectFailed, "upstream \(self.peerAddress): no stream: \(error)")))
        }
    }

    /// A request this connection can no longer serve, for another connection.
    private func giveBack(_ request: StreamRequest) {
        if let pool = self.pool {
            pool.openStream(request.peer, completion: request.completion)
        } else {
            request.completion(.failure(ProxyError(.connectFailed, "upstream \(self.peerAddress) closed the connection")))
        }
    }

    /// The read is over: what waited for its end proceeds, or goes elsewhere after a GOAWAY.
    private func proceedAfterRead() {
        if !self.streamsAfterRead.isEmpty {
            let streams = self.streamsAfterRead
            self.streamsAfterRead = []
            for (stream, request) in streams { self.handOver(stream, to: request) }
        }
        if !self.requestsAfterRead.isEmpty {
            let requests = self.requestsAfterRead
            self.requestsAfterRead = []
            for request in requests {
                if self.state == .ready {
                    self.createStream(for: request)
                } else {
                    self.giveBack(request)
                    self.streamClosed()
                }
            }
        }
    }

    /// A stream's slot is free again (its stream closed, or it was never opened).
    private func streamClosed() {
        self.openStreams -= 1
        switch self.state {
        case .ready:
            // Waiting requests first: they may take the slot before the connection counts as idle.
            self.pool?.streamsAvailable(on: self)
            guard self.openStreams == 0, self.state == .ready else { return }
            if self.keepsIdle {
                self.idleSince = .now()
                self.armIdleTimer()
            } else {
                self.retire(sayingGoAway: true)
            }
        case .goingAway:
            if self.openStreams == 0 { self.context?.close(promise: nil) }
        case .starting, .closed:
            break
        }
    }

    /// No new streams from now on; closes at once when none is open.
    private func retire(sayingGoAway: Bool) {
        guard self.state == .ready || self.state == .starting else { return }
        self.state = .goingAway
        self.failReady(self.notReadyError)
        self.pool?.connectionRetired(self)
        guard self.openStreams == 0, let context = self.context else { return }
        if sayingGoAway {
            // Last stream 0: Pylon processed no stream of the upstream's (it opens none).
            let goAway = HTTP2Frame(
                streamID: .rootStream, payload: .goAway(lastStreamID: .rootStream, errorCode: .noError, opaqueData: nil)
            )
            context.writeAndFlush(self.wrapOutboundOut(goAway), promise: nil)
        }
        context.close(promise: nil)
    }

    func close() {
        self.context?.close(promise: nil)
    }

    // MARK: Idle timeout

    private func armIdleTimer() {
        guard self.idleTimer == nil, let idleSince = self.idleSince, let context = self.context else { return }
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: idleSince + self.idleTimeout) { [self] in
            self.idleTimer = nil
            guard self.state == .ready, self.openStreams == 0, let idleSince = self.idleSince else { return }
            if idleSince + self.idleTimeout <= .now() {
                self.retire(sayingGoAway: true)
            } else {
                self.armIdleTimer()
            }
        }
    }

    // MARK: Liveness

    private func scheduleLivenessCheck(at deadline: NIODeadline) {
        guard let context = self.context else { return }
        self.livenessTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.livenessTimer = nil
            self.checkLiveness()
        }
    }

    /// Streams in flight after a GOAWAY still need their connection alive: checked until it closes.
    private func checkLiveness() {
        guard self.state == .ready || self.state == .goingAway, let context = self.context,
            let step = self.liveness?.step(at: .now())
        else { return }
        switch step {
        case .wait(let deadline):
            self.scheduleLivenessCheck(at: deadline)
        case .ping(let deadline):
            let ping = HTTP2Frame(streamID: .rootStream, payload: .ping(HTTP2UpstreamLiveness.pingData, ack: false))
            context.writeAndFlush(self.wrapOutboundOut(ping), promise: nil)
            self.scheduleLivenessCheck(at: deadline)
        case .dead:
            self.logger.warning(
                "upstream HTTP/2 connection brought nothing, not even a PING's answer, within its ping timeout; closing it",
                metadata: [
                    "peer": "\(self.peerAddress)", "ping_timeout_ms": "\((self.liveness?.timeout.nanoseconds ?? 0) / 1_000_000)",
                    "open_streams": "\(self.openStreams)",
                ]
            )
            context.close(promise: nil)
        }
    }

    // MARK: ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data).payload {
        case .settings(.settings(let settings)):
            for setting in settings where setting.parameter == .maxConcurrentStreams {
                self.maxConcurrentStreams = setting.value
            }
            if self.state == .starting {
                self.settingsReceived = true
            } else if self.canOpenStream {
                self.pool?.streamsAvailable(on: self)
            }
        case .goAway(let lastStreamID, _, _):
            // nio-http2 closes the streams beyond its last stream ID next (they were not
            // processed, see `HTTP2UpstreamStreamErrors`); the others finish here.
            self.goAwayLastStreamID = min(lastStreamID, self.goAwayLastStreamID ?? lastStreamID)
            self.retire(sayingGoAway: false)
        default:
            break
        }
    }

    /// The end of a read; nio-http2's own, which runs first, has sent what streams wrote
    /// during it. Ready only now if the read brought the first SETTINGS: a GOAWAY in the same
    /// read would have retired the connection.
    func channelReadComplete(context: ChannelHandlerContext) {
        self.reading = false
        // Optional chaining skips the clock read too when no PINGs are sent.
        self.liveness?.noteRead(at: .now())
        if self.state == .starting, self.settingsReceived {
            self.state = .ready
            // Idle until the pool opens a stream: a connection nobody ends up using closes too.
            self.idleSince = .now()
            self.armIdleTimer()
            if let firstCheck = self.liveness?.firstCheck { self.scheduleLivenessCheck(at: firstCheck) }
            self.succeedReady()
        }
        self.proceedAfterRead()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.state = .closed
        self.failReady(self.notReadyError)
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.livenessTimer?.cancel()
        self.livenessTimer = nil
        self.pool?.connectionRetired(self)
        self.reading = false
        self.proceedAfterRead()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is any NIOHTTP2Error else {
            // The socket or TLS failed: the streams fail with the close that follows.
            self.logger.debug("upstream HTTP/2 connection failed", metadata: ["peer": "\(self.peerAddress)", "error": "\(error)"])
            context.close(promise: nil)
            return
        }
        self.logger.info(
            "upstream HTTP/2 error; the connection takes no new streams",
            metadata: ["peer": "\(self.peerAddress)", "error": "\(error)"]
        )
        // nio-http2 reports stream errors here too, and connection errors after its GOAWAY:
        // either way the connection takes no new streams and closes with its last one.
        self.retire(sayingGoAway: false)
    }
}
