import Logging
import NIOCore
import NIOHTTP1

/// Serves one client connection: parses requests, runs the `ProxyHTTP` phases, moves
/// bodies both ways with backpressure, and decides when the connection may stay open.
///
/// Backpressure: the client is only read while the current request can take more
/// body (the upstream is writable and nothing waits for a connect), and the upstream
/// is only read while the client is writable. Neither side is ever buffered whole.
///
/// Its stored properties skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`):
/// it lives on one event loop and is only touched there, in code that never holds one of
/// them across a call back into the same object. The checks cost a thread-local lookup
/// per access, about 180 per proxied request across the request path's objects.
final class HTTP1ProxyConnection: ChannelDuplexHandler, UpstreamResponseSink, EndOfTickFlushing {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Body bytes held while an upstream connection is being set up before reading pauses.
    static var maxQueuedBodyBytes: Int { 256 * 1024 }
    /// Bodies of locally answered requests up to this size are read and dropped to keep
    /// the connection; larger ones close it.
    static var maxDiscardedBodyBytes: Int { 64 * 1024 }
    /// Pipelined input held while a request is answered, before reading pauses.
    var maxBufferedPipelinedInput: Int {
        self.configuration.parserLimits.maxRequestLine + self.configuration.parserLimits.maxHeaderBytes
    }

    let phases: ProxyPhases
    let configuration: ProxyServerConfiguration
    let pool: UpstreamPool
    let listenerName: String
    let scheme: String
    let logger: Logger

    @exclusivity(unchecked) var context: ChannelHandlerContext!
    /// The channel's allocator and writability, kept here: asking the channel for either
    /// retains and releases it, and the allocator's getter takes a hundred instructions.
    /// Writability follows `channelWritabilityChanged`.
    @exclusivity(unchecked) var allocator = ByteBufferAllocator()
    @exclusivity(unchecked) var clientIsWritable = true
    /// The connection's addresses, looked up once: the channel's accessors take a lock.
    @exclusivity(unchecked) var remoteAddress: SocketAddress?
    @exclusivity(unchecked) var remoteIP: String?
    @exclusivity(unchecked) var localAddress: SocketAddress?
    /// The client address a PROXY protocol header gave (`ProxyProtocolHandler`), if any.
    @exclusivity(unchecked) var proxyProtocolSource: SocketAddress?
    @exclusivity(unchecked) var proxyProtocolSourceIP: String?
    /// The above with the listener's name and scheme, shared by the connection's requests;
    /// made at the first request.
    @exclusivity(unchecked) var clientInfo: ClientConnectionInfo?
    @exclusivity(unchecked) var parser: HTTP1RequestParser
    @exclusivity(unchecked) var input = ByteBuffer()
    @exclusivity(unchecked) var exchange: ProxyExchange?
    @exclusivity(unchecked) var requestsServed = 0
    /// When the connection was accepted, for `maxKeepAliveTime`.
    @exclusivity(unchecked) var acceptedAt = NIODeadline.now()

    /// Between channelRead and channelReadComplete: writes upstream wait for the flush
    /// the read cycle's end asks for (made at the end of the loop's tick), so one syscall
    /// carries a whole request.
    @exclusivity(unchecked) var inReadCycle = false
    /// Reads are held back; `read()` was asked for and is owed once they may resume.
    @exclusivity(unchecked) var readPending = false
    /// The connection is draining: the next response says `Connection: close`.
    @exclusivity(unchecked) var draining = false
    /// A graceful close is under way; nothing more is parsed or answered.
    @exclusivity(unchecked) var closing = false
    /// The client half-closed its side: no further requests can arrive.
    @exclusivity(unchecked) var inputClosed = false
    /// The one timer of an idle or head-reading connection (idle timeout, 408, drain).
    /// What the connection waits for between requests, and until when. One timer serves
    /// it lazily: clearing or moving the deadline never cancels or reschedules a task on
    /// the hot path; the timer re-checks the deadline when it fires.
    @exclusivity(unchecked) var wait: (purpose: WaitPurpose, deadline: NIODeadline)?
    @exclusivity(unchecked) var waitTimer: Scheduled<Void>?
    @exclusivity(unchecked) var waitTimerFiresAt: NIODeadline?
    @exclusivity(unchecked) var lingerTimer: Scheduled<Void>?
    /// How long a draining connection may stay idle for a request already on its way.
    @exclusivity(unchecked) var drainIdleGrace: TimeAmount = .zero
    @exclusivity(unchecked) var bodyTimer: Scheduled<Void>?
    /// A response head written but not yet handed to the channel: a small body piece that
    /// follows before the next flush joins it, so head and body leave as one buffer (one
    /// pending write and a plain write(2) instead of two and a writev). Every flush
    /// releases it first (`flushResponse`).
    @exclusivity(unchecked) var heldResponse: ByteBuffer?
    /// Something was written to the client since the last flush.
    @exclusivity(unchecked) var hasUnflushedWrites = false
    /// The response waits in the loop's `EndOfTickFlushes`.
    @exclusivity(unchecked) var flushQueued = false

    init(
        phases: ProxyPhases,
        configuration: ProxyServerConfiguration,
        pool: UpstreamPool,
        listenerName: String,
        scheme: String,
        logger: Logger
    ) {
        self.phases = phases
        self.configuration = configuration
        self.pool = pool
        self.listenerName = listenerName
        self.scheme = scheme
        self.logger = logger
        self.parser = HTTP1RequestParser(limits: configuration.parserLimits)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.allocator = context.channel.allocator
        self.clientIsWritable = context.channel.isWritable
        if context.channel.isActive { self.connectionBecameActive() }
    }

    /// The context holds its handler for good: keeping it here past removal would be a
    /// reference cycle, and every closed connection's handler, exchange and buffers would
    /// stay in memory. Nothing runs on the connection after this (its timers were
    /// cancelled and its upstream let go when it went inactive).
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.connectionBecameActive()
        context.fireChannelActive()
    }

    func connectionBecameActive() {
        guard self.remoteAddress == nil else { return }
        self.remoteAddress = self.context.channel.remoteAddress
        self.remoteIP = self.remoteAddress?.ipAddress
        self.localAddress = self.context.channel.localAddress
        self.acceptedAt = .now()
        self.armWaitTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.inReadCycle = true
        if self.closing {
            return  // lingering after a half-close: read and drop
        }
        if self.input.readableBytes == 0 {
            self.input = bytes
        } else {
            self.input.writeBuffer(&bytes)
        }
        self.processInput()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inReadCycle = false
        self.flushUpstreamAtEndOfTick()
        self.flushResponseAtEndOfTick()
        if self.input.readableBytes == 0 {
            // Let go of the read buffer rather than clearing it: clearing a buffer whose
            // storage is shared (with NIO's receive buffer pool, or a body piece still on
            // its way upstream) allocates new storage, and the next read replaces it anyway.
            self.input = ByteBuffer()
        } else if self.input.readerIndex > 64 * 1024 {
            self.input.discardReadBytes()
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.mayRead {
            context.read()
        } else {
            self.readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.clientIsWritable = context.channel.isWritable
        self.exchange?.upstreamConnection?.setReadPaused(!self.clientIsWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let drain = event as? ProxyDrainEvent {
            self.beginDrain(closeIdleAfter: drain.closeIdleAfter)
        } else if let header = event as? ProxyProtocolHeader {
            self.proxyProtocolSource = header.source
            self.proxyProtocolSourceIP = header.source?.ipAddress
            self.clientInfo = nil
        } else if case ChannelEvent.inputClosed = event {
            self.inputClosed = true
            if self.closing {
                context.close(promise: nil)
            } else if self.exchange == nil {
                self.closeGracefully()
            } else if self.exchange?.requestComplete == false {
                // The client stopped sending mid-request.
                self.abortExchange(ProxyError(.downstreamClosed, "client closed its side mid-request"))
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.waitTimer?.cancel()
        self.lingerTimer?.cancel()
        self.wait = nil
        self.bodyTimer?.cancel()
        if let exchange = self.exchange {
            self.exchange = nil
            exchange.abandonUpstream()
            if !exchange.responseComplete {
                self.log(exchange, error: exchange.error ?? ProxyError(.downstreamClosed, "client closed the connection"))
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Socket errors (resets, broken pipes) end the connection; channelInactive cleans up.
        context.close(promise: nil)
    }

    // MARK: Reading requests

    /// Whether the client may be read now.
    var mayRead: Bool {
        guard let exchange = self.exchange else { return true }
        // A complete request waiting for its response does not stop reading: turning read
        // interest off and on again costs two epoll_ctl calls per request. Only pipelined
        // input piling up beyond a head's worth does.
        if exchange.requestComplete { return self.input.readableBytes < self.maxBufferedPipelinedInput }
        switch exchange.upstream {
        case .connecting: return exchange.queuedBodyBytes < Self.maxQueuedBodyBytes
        case .attached(let connection): return connection.isWritable
        case .none, .finished: return true
        }
    }

    func resumeReading() {
        self.processInput()
        // Outside a read cycle nothing else flushes what processInput wrote upstream, and
        // unflushed bytes count against writability: without this the two sides wait
        // for each other forever.
        if !self.inReadCycle { self.exchange?.upstreamConnection?.flush() }
        if self.readPending, self.mayRead, !self.closing {
            self.readPending = false
            self.context.read()
        }
    }

    /// Parses and handles as much buffered input as the current state allows.
    func processInput() {
        do {
            while !self.closing {
                if let exchange = self.exchange {
                    // The next request waits in `input` until this one is answered.
                    if exchange.requestComplete || !self.mayRead { break }
                } else if self.inputClosed {
                    break
                }
                guard let event = try self.parser.next(&self.input) else { break }
                switch event {
                case .head(let head, let framing):
                    self.startExchange(head, framing: framing)
                case .body(let body):
                    self.requestBody(body)
                case .end(let trailers):
                    self.requestEnd(trailers: trailers)
                }
            }
        } catch {
            self.rejectRequest(error)
            return
        }
        if self.exchange == nil, !self.closing { self.armWaitTimer() }
    }

    /// An unparseable request: answer the right 4xx/5xx with `Connection: close`, then close.
    func rejectRequest(_ error: RequestParseError) {
        let exchange: ProxyExchange
        if let current = self.exchange, !current.requestComplete {
            // The body broke mid-request (bad chunk size, …).
            exchange = current
        } else {
            let head = RequestHead(version: .http1_1, method: .GET, uri: "-")
            exchange = self.makeExchange(head, framing: .none, clientKeepsAlive: false)
            self.exchange = exchange
        }
        exchange.closeAfterResponse = true
        exchange.requestComplete = true
        let proxyError = ProxyError(.badRequest(status: error.status), error.reason)
        exchange.error = proxyError
        if exchange.responseStarted {
            self.finishWithBrokenConnection(exchange)
            return
        }
        exchange.abandonUpstream()
        self.respondLocally(exchange.failToProxy(error: proxyError), exchange)
    }

    /// `clientKeepsAlive`: what the request's version and `Connection` fields say (the
    /// parser's `headKeepsAlive`).
    func makeExchange(_ head: RequestHead, framing: RequestFraming, clientKeepsAlive: Bool) -> ProxyExchange {
        let session = ProxySession(request: head, connection: self.makeClientInfo(), requestIndexOnConnection: self.requestsServed)
        let keepAlive = clientKeepsAlive && !self.draining && !self.inputClosed && !self.isLastRequest(startingAt: session.startTime)
        return self.phases.makeExchange(session: session, requestFraming: framing, closeAfterResponse: !keepAlive)
    }

    private func makeClientInfo() -> ClientConnectionInfo {
        if let info = self.clientInfo { return info }
        let info = ClientConnectionInfo(
            clientAddress: self.remoteAddress, clientIP: self.remoteIP, proxyProtocolSource: self.proxyProtocolSource,
            proxyProtocolSourceIP: self.proxyProtocolSourceIP, localAddress: self.localAddress, listenerName: self.listenerName,
            scheme: self.scheme, eventLoop: self.context.eventLoop
        )
        self.clientInfo = info
        return info
    }

    /// Whether the request starting now is the last this connection takes, by the
    /// configured request count or keep-alive time.
    private func isLastRequest(startingAt start: NIODeadline) -> Bool {
        if let maxRequests = self.configuration.maxRequestsPerConnection, self.requestsServed + 1 >= maxRequests { return true }
        if let maxTime = self.configuration.maxKeepAliveTime, start - self.acceptedAt >= maxTime { return true }
        return false
    }

    func startExchange(_ head: RequestHead, framing: RequestFraming) {
        self.wait = nil
        let exchange = self.makeExchange(head, framing: framing, clientKeepsAlive: self.parser.headKeepsAlive)
        self.exchange = exchange
        if framing.hasBody { self.armBodyTimer() }

        if let expect = head.headers.first(name: "expect") {
            guard expect.lowercased() == "100-continue" else {
                exchange.closeAfterResponse = true
                return self.fail(exchange, ProxyError(.badRequest(status: 417), "unsupported Expect: \(expect)"))
            }
            exchange.expectsContinue = head.version.minor >= 1
        }
        if case .contentLength(let length) = framing, let limit = self.configuration.maxRequestBody, length > limit {
            exchange.closeAfterResponse = true
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
            self.answerWithoutUpstream(response, exchange)
        case .proceed:
            if exchange.expectsContinue {
                self.sendContinue(exchange)
            }
            self.connectUpstream(exchange)
        }
    }

    /// A response that did not come from upstream (a `requestFilter` answer or an error
    /// page) while the request body may still be on its way: small bodies are read and
    /// dropped so the connection can stay open; anything else closes it afterwards.
    func answerWithoutUpstream(_ response: ProxyResponse, _ exchange: ProxyExchange) {
        exchange.discardingBody = true
        if !exchange.requestComplete {
            switch exchange.requestFraming {
            case .contentLength(let length) where length <= Self.maxDiscardedBodyBytes && !exchange.expectsContinue:
                break
            case .none:
                break
            default:
                exchange.closeAfterResponse = true
            }
        }
        self.respondLocally(response, exchange)
    }

    func sendContinue(_ exchange: ProxyExchange) {
        exchange.expectsContinue = false
        exchange.sentContinue = true
        var buffer = self.allocator.buffer(capacity: 25)
        buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
        self.writeToClient(buffer)
        self.flushResponse()
    }

    func requestBody(_ body: ByteBuffer) {
        guard let exchange = self.exchange else { return }
        exchange.session.requestBodyBytes += body.readableBytes
        exchange.lastBodyRead = .now()
        if exchange.discardingBody { return }
        if let limit = self.configuration.maxRequestBody, exchange.session.requestBodyBytes > limit {
            exchange.closeAfterResponse = true
            let error = ProxyError(.badRequest(status: 413), "request body over the limit \(limit)")
            exchange.requestComplete = true
            exchange.abandonUpstream()
            if exchange.responseStarted {
                exchange.error = error
                self.finishWithBrokenConnection(exchange)
            } else {
                self.fail(exchange, error)
            }
            return
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

    /// The request's end; `trailers`: those of a chunked body, forwarded with the end
    /// (upstream the body is chunked too, or a stream of an HTTP/2 connection).
    func requestEnd(trailers: HTTPHeaders?) {
        guard let exchange = self.exchange else { return }
        exchange.requestComplete = true
        self.bodyTimer?.cancel()
        self.bodyTimer = nil
        if exchange.discardingBody || exchange.responseComplete {
            if exchange.responseComplete { self.finishExchange(exchange) }
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
}
