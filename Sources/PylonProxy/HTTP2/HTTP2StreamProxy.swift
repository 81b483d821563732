import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Serves one HTTP/2 stream: runs its request through the `ProxyHTTP` phases and the
/// event loop's upstream pool, to an HTTP/1.1 or HTTP/2 upstream, streaming both bodies
/// and passing trailers on both ways.
///
/// It is the stream's child channel's only handler and speaks frames itself: the first
/// HEADERS is the request head (`HTTP2RequestHead`), DATA its body, a second HEADERS its
/// trailers, END_STREAM its end; the response goes out as HEADERS (`HTTP2ResponseHeaderBlock`),
/// DATA and END_STREAM on the last frame. A translation to HTTP/1 parts and back would cost
/// a handler, a copy of every header block and an empty DATA frame per response.
///
/// Flow control is the stream's own: request body is only read from the stream (and so
/// only acknowledged to the client with WINDOW_UPDATEs) while the upstream is writable,
/// and the upstream is only read while the stream is writable, which it stops being when
/// the client's window is used up.
final class HTTP2StreamProxy: ChannelDuplexHandler, UpstreamResponseSink {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// Body bytes held while an upstream connection is being set up before reading pauses.
    static var maxQueuedBodyBytes: Int { 256 * 1024 }

    let phases: ProxyPhases
    let configuration: ProxyServerConfiguration
    let pool: UpstreamPool
    let listenerName: String
    let connection: HTTP2ClientConnection
    let logger: Logger

    var context: ChannelHandlerContext!
    /// The request's HEADERS arrived: another one is its trailers.
    var requestHeadReceived = false
    /// The client's END_STREAM arrived, though perhaps not handled yet: a response that
    /// ends before the request is not answering early, and needs no reset.
    var clientEndedStream = false
    /// A request head whose framing is not known yet: whether DATA follows shows in the
    /// same read, or not at all before the read completes.
    var pendingHead: RequestHead?
    var exchange: ProxyExchange?
    /// The response head, until what follows it in the same read is known (see `endResponse`).
    var heldResponseHead: ResponseHead?
    /// The response's latest body piece, until what follows it is known: the response's end
    /// rides on it as END_STREAM rather than in a DATA frame of its own.
    var heldBody: ByteBuffer?
    /// Something was written to the stream since the last flush.
    var hasUnflushedWrites = false
    /// `logging` ran for this stream's request.
    var logged = false
    var inReadCycle = false
    var readPending = false
    var bodyTimer: Scheduled<Void>?

    init(
        phases: ProxyPhases,
        configuration: ProxyServerConfiguration,
        pool: UpstreamPool,
        listenerName: String,
        connection: HTTP2ClientConnection,
        logger: Logger
    ) {
        self.phases = phases
        self.configuration = configuration
        self.pool = pool
        self.listenerName = listenerName
        self.connection = connection
        self.logger = logger
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// The context holds its handler for good: kept here past removal, every stream's
    /// handler, exchange and buffers would stay in memory (see `HTTP1ProxyConnection`).
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.inReadCycle = true
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            self.receiveHeaders(headers)
        case .data(let data):
            self.receiveData(data)
        default:
            // A reset arrives as an error (errorCaught); flow control is nio-http2's.
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inReadCycle = false
        self.startPendingExchange(hasBody: true)
        self.flushUpstreamAtEndOfTick()
        self.flushResponse()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if self.mayRead {
            context.read()
        } else {
            self.readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.exchange?.upstreamConnection?.setReadPaused(!context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.bodyTimer?.cancel()
        self.bodyTimer = nil
        self.heldResponseHead = nil
        self.heldBody = nil
        if let exchange = self.exchange {
            exchange.abandonUpstream()
            if !self.logged {
                // Closed by the response's own END_STREAM, or by the client before it.
                let error = exchange.responseComplete ? exchange.error : exchange.error ?? ProxyError(.downstreamClosed, "client reset the stream")
                self.log(exchange, error: error)
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The stream was reset (by the client or by nio-http2 for a protocol error):
        // channelInactive follows and cleans up.
        if self.exchange?.error == nil { self.exchange?.error = ProxyError(.downstreamClosed, "stream failed: \(error)") }
        context.close(promise: nil)
    }

    // MARK: Reading the request

    private func receiveHeaders(_ headers: HTTP2Frame.FramePayload.Headers) {
        if headers.endStream { self.clientEndedStream = true }
        guard !self.requestHeadReceived else {
            // A second header block is the request's trailers, and its end (RFC 9113 §8.1).
            self.startPendingExchange(hasBody: false)
            self.requestEnd(trailers: HTTP2RequestHead.trailers(from: headers.headers))
            return
        }
        self.requestHeadReceived = true
        do {
            self.pendingHead = try HTTP2RequestHead.make(from: headers.headers)
        } catch {
            // Malformed (RFC 9113 §8.1.1): a stream error; the connection's other streams go on.
            self.logger.debug("malformed HTTP/2 request", metadata: ["error": "\(error)"])
            self.reset(.protocolError)
            return
        }
        if headers.endStream {
            self.startPendingExchange(hasBody: false)
            self.requestEnd(trailers: nil)
        }
    }

    private func receiveData(_ data: HTTP2Frame.FramePayload.Data) {
        // Frames read from the network always carry a byte buffer.
        guard case .byteBuffer(let body) = data.data else { return }
        if data.endStream { self.clientEndedStream = true }
        if body.readableBytes > 0 || !data.endStream {
            self.startPendingExchange(hasBody: true)
            self.requestBody(body)
        }
        if data.endStream {
            self.startPendingExchange(hasBody: false)
            self.requestEnd(trailers: nil)
        }
    }

    /// Whether the stream may be read now.
    var mayRead: Bool {
        guard let exchange = self.exchange, !exchange.requestComplete else { return true }
        switch exchange.upstream {
        case .connecting: return exchange.queuedBodyBytes < Self.maxQueuedBodyBytes
        case .attached(let connection): return connection.isWritable
        case .none, .finished: return true
        }
    }

    func resumeReading() {
        if !self.inReadCycle { self.exchange?.upstreamConnection?.flush() }
        if self.readPending, self.mayRead {
            self.readPending = false
            self.context.read()
        }
    }

    func startPendingExchange(hasBody: Bool) {
        guard let head = self.pendingHead else { return }
        self.pendingHead = nil
        let framing: RequestFraming
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }) {
            framing = length > 0 ? .contentLength(length) : .none
        } else {
            framing = hasBody ? .chunked : .none
        }
        self.startExchange(head, framing: framing)
    }

    func startExchange(_ head: RequestHead, framing: RequestFraming) {
        let connection = self.connection
        let session = ProxySession(
            request: head,
            connection: connection.clientInfo(listenerName: self.listenerName, eventLoop: self.context.eventLoop),
            requestIndexOnConnection: connection.streamsStarted
        )
        connection.streamsStarted += 1
        let exchange = self.phases.makeExchange(session: session, requestFraming: framing, closeAfterResponse: false)
        self.exchange = exchange
        if framing.hasBody { self.armBodyTimer() }
        if case .contentLength(let length) = framing, let limit = self.configuration.maxRequestBody, length > limit {
            return self.fail(exchange, ProxyError(.badRequest(status: 413), "Content-Length \(length) over the limit \(limit)"))
        }
        let decision: RequestFilterResult
        do {
            try exchange.earlyRequestFilter()
            decision = try exchange.requestFilter()
        } catch {
            return self.fail(exchange, ProxyError(.phase, "request filter: \(error)"))
        }
        switch decision {
        case .respond(let response):
            exchange.discardingBody = true
            self.respondLocally(response, exchange)
        case .proceed:
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                // The upstream is not asked (the expectation is removed from what it gets):
                // the request is going there, so the client may send its body now.
                self.writeFrame(.headers(.init(headers: HTTP2ResponseHeaderBlock.head(status: .continue, fields: [:]))))
                self.flushResponse()
            }
            self.connectUpstream(exchange)
        }
    }

    func requestBody(_ body: ByteBuffer) {
        guard let exchange = self.exchange, !exchange.requestComplete else { return }
        exchange.session.requestBodyBytes += body.readableBytes
        exchange.lastBodyRead = .now()
        if exchange.discardingBody { return }
        if let limit = self.configuration.maxRequestBody, exchange.session.requestBodyBytes > limit {
            exchange.abandonUpstream()
            return self.fail(exchange, ProxyError(.badRequest(status: 413), "request body over the limit \(limit)"))
        }
        var piece: ByteBuffer? = body
        do {
            try exchange.requestBodyFilter(&piece, endOfStream: false)
        } catch {
            return self.fail(exchange, ProxyError(.phase, "request body filter: \(error)"))
        }
        guard let piece else { return }
        switch exchange.upstream {
        case .attached(let connection):
            connection.write(.body(.byteBuffer(piece)))
        case .connecting:
            exchange.queuedBody.append(piece)
            exchange.queuedBodyBytes += piece.readableBytes
        case .none, .finished:
            break
        }
    }

    /// The request's end; `trailers` (gRPC clients send none, others may) are forwarded
    /// with it. To an HTTP/1.1 upstream they go only with a chunked body (one without
    /// Content-Length); `UpstreamRequestWriter` drops them otherwise.
    func requestEnd(trailers: HTTPHeaders?) {
        guard let exchange = self.exchange, !exchange.requestComplete else { return }
        exchange.requestComplete = true
        self.bodyTimer?.cancel()
        self.bodyTimer = nil
        if exchange.discardingBody || exchange.responseComplete {
            if exchange.responseComplete { self.finish(exchange) }
            return
        }
        var piece: ByteBuffer? = nil
        do {
            try exchange.requestBodyFilter(&piece, endOfStream: true)
        } catch {
            return self.fail(exchange, ProxyError(.phase, "request body filter: \(error)"))
        }
        exchange.requestTrailers = TrailerFields.forwardable(trailers)
        if let connection = exchange.upstreamConnection {
            if let piece { connection.write(.body(.byteBuffer(piece))) }
            connection.write(.end(exchange.requestTrailers))
            if !self.inReadCycle { connection.flush() }
        } else if let piece {
            exchange.queuedBody.append(piece)
        }
    }

    /// A request body that stops arriving (while Pylon itself is not holding it back) ends
    /// the stream with 408 after the body timeout. One timer, re-checked when it fires.
    func armBodyTimer() {
        guard self.bodyTimer == nil, let exchange = self.exchange, !exchange.requestComplete else { return }
        let timeout = self.configuration.bodyTimeout
        self.bodyTimer = self.context.eventLoop.assumeIsolated().scheduleTask(deadline: exchange.lastBodyRead + timeout) { [self] in
            self.bodyTimer = nil
            guard let exchange = self.exchange, !exchange.requestComplete else { return }
            if exchange.lastBodyRead + timeout > .now() || !self.mayRead {
                if !self.mayRead { exchange.lastBodyRead = .now() }
                self.armBodyTimer()
                return
            }
            exchange.abandonUpstream()
            self.fail(exchange, ProxyError(.badRequest(status: 408), "request body stalled for \(timeout)"))
        }
    }
}
