import Logging
import NIOCore
import NIOHTTP1

/// Serves one client connection: parses requests, runs the `ProxyHTTP` phases, moves
/// bodies both ways with backpressure, and decides when the connection may stay open.
///
/// Backpressure: the client is only read while the current request can take more
/// body (the upstream is writable and nothing waits for a connect), and the upstream
/// is only read while the client is writable. Neither side is ever buffered whole.
final class HTTP1ProxyConnection<Proxy: ProxyHTTP>: ChannelDuplexHandler, UpstreamResponseSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Body bytes held while an upstream connection is being set up before reading pauses.
    static var maxQueuedBodyBytes: Int { 256 * 1024 }
    /// Bodies of locally answered requests up to this size are read and dropped to keep
    /// the connection; larger ones close it.
    static var maxDiscardedBodyBytes: Int { 64 * 1024 }
    /// Connect attempts per request, retries included, whatever `failToConnect` says.
    static var maxConnectAttempts: Int { 8 }

    private let proxy: Proxy
    private let configuration: ProxyServerConfiguration
    private let pool: UpstreamPool
    private let listenerName: String
    private let scheme: String
    private let logger: Logger

    private var context: ChannelHandlerContext!
    /// The connection's addresses, looked up once: the channel's accessors take a lock.
    private var remoteAddress: SocketAddress?
    private var remoteIP: String?
    private var localAddress: SocketAddress?
    private var parser: HTTP1RequestParser
    private var input = ByteBuffer()
    private var exchange: ProxyExchange<Proxy.Context>?
    private var requestsServed = 0

    /// Reads are held back; `read()` was asked for and is owed once they may resume.
    private var readPending = false
    /// The connection is draining: the next response says `Connection: close`.
    private var draining = false
    /// A graceful close is under way; nothing more is parsed or answered.
    private var closing = false
    /// The client half-closed its side: no further requests can arrive.
    private var inputClosed = false
    /// The one timer of an idle or head-reading connection (idle timeout, 408, drain).
    /// What the connection waits for between requests, and until when. One timer serves
    /// it lazily: clearing or moving the deadline never cancels or reschedules a task on
    /// the hot path; the timer re-checks the deadline when it fires.
    private var wait: (purpose: WaitPurpose, deadline: NIODeadline)?
    private var waitTimer: Scheduled<Void>?
    private var waitTimerFiresAt: NIODeadline?
    private var lingerTimer: Scheduled<Void>?
    /// How long a draining connection may stay idle for a request already on its way.
    private var drainIdleGrace: TimeAmount = .zero
    private var bodyTimer: Scheduled<Void>?

    init(
        proxy: Proxy,
        configuration: ProxyServerConfiguration,
        pool: UpstreamPool,
        listenerName: String,
        scheme: String,
        logger: Logger
    ) {
        self.proxy = proxy
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
        if context.channel.isActive { self.connectionBecameActive() }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.connectionBecameActive()
        context.fireChannelActive()
    }

    private func connectionBecameActive() {
        guard self.remoteAddress == nil else { return }
        self.remoteAddress = self.context.channel.remoteAddress
        self.remoteIP = self.remoteAddress?.ipAddress
        self.localAddress = self.context.channel.localAddress
        self.armWaitTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
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
        self.exchange?.upstreamConnection?.flush()
        context.flush()
        if self.input.readableBytes == 0 {
            self.input.clear()
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
        self.exchange?.upstreamConnection?.setReadPaused(!context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let drain = event as? ProxyDrainEvent {
            self.beginDrain(closeIdleAfter: drain.closeIdleAfter)
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
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
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
    private var mayRead: Bool {
        guard let exchange = self.exchange else { return true }
        if exchange.requestComplete { return false }
        switch exchange.upstream {
        case .connecting: return exchange.queuedBodyBytes < Self.maxQueuedBodyBytes
        case .attached(let connection): return connection.isWritable
        case .none, .finished: return true
        }
    }

    private func resumeReading() {
        self.processInput()
        // Outside a read cycle nothing else flushes what processInput wrote upstream, and
        // unflushed bytes count against writability: without this the two sides wait
        // for each other forever.
        self.exchange?.upstreamConnection?.flush()
        if self.readPending, self.mayRead, !self.closing {
            self.readPending = false
            self.context.read()
        }
    }

    /// Parses and handles as much buffered input as the current state allows.
    private func processInput() {
        do {
            while !self.closing {
                if let exchange = self.exchange {
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
                case .end:
                    self.requestEnd()
                }
            }
        } catch {
            self.rejectRequest(error)
            return
        }
        if self.exchange == nil, !self.closing { self.armWaitTimer() }
    }

    /// An unparseable request: answer the right 4xx/5xx with `Connection: close`, then close.
    private func rejectRequest(_ error: RequestParseError) {
        let exchange: ProxyExchange<Proxy.Context>
        if let current = self.exchange, !current.requestComplete {
            // The body broke mid-request (bad chunk size, …).
            exchange = current
        } else {
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "-")
            exchange = self.makeExchange(head, framing: .none)
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
        exchange.upstreamConnection?.abandon()
        exchange.upstream = .finished
        self.respondLocally(self.proxy.failToProxy(exchange.session, error: proxyError, &exchange.context), exchange)
    }

    private func makeExchange(_ head: HTTPRequestHead, framing: RequestFraming) -> ProxyExchange<Proxy.Context> {
        let channel = self.context.channel
        let session = ProxySession(
            request: head,
            clientAddress: self.remoteAddress,
            clientIP: self.remoteIP,
            localAddress: self.localAddress,
            listenerName: self.listenerName,
            scheme: self.scheme,
            eventLoop: channel.eventLoop,
            requestIndexOnConnection: self.requestsServed
        )
        let keepAlive = head.isKeepAlive && !self.draining && !self.inputClosed
        return ProxyExchange(
            session: session,
            context: self.proxy.makeContext(),
            requestFraming: framing,
            closeAfterResponse: !keepAlive
        )
    }

    private func startExchange(_ head: HTTPRequestHead, framing: RequestFraming) {
        self.wait = nil
        let exchange = self.makeExchange(head, framing: framing)
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
            try self.proxy.earlyRequestFilter(exchange.session, &exchange.context)
            decision = try self.proxy.requestFilter(exchange.session, &exchange.context)
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

    /// A response that did not come from upstream while the request body may still be
    /// on its way: small bodies are read and dropped so the connection can stay open.
    private func answerWithoutUpstream(_ response: ProxyResponse, _ exchange: ProxyExchange<Proxy.Context>) {
        exchange.discardingBody = true
        switch exchange.requestFraming {
        case .contentLength(let length) where length <= Self.maxDiscardedBodyBytes && !exchange.expectsContinue:
            break
        case .none:
            break
        default:
            exchange.closeAfterResponse = true
        }
        self.respondLocally(response, exchange)
    }

    private func sendContinue(_ exchange: ProxyExchange<Proxy.Context>) {
        exchange.expectsContinue = false
        exchange.sentContinue = true
        var buffer = self.context.channel.allocator.buffer(capacity: 25)
        buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
        self.context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    private func requestBody(_ body: ByteBuffer) {
        guard let exchange = self.exchange else { return }
        exchange.session.requestBodyBytes += body.readableBytes
        exchange.lastBodyRead = .now()
        if exchange.discardingBody { return }
        if let limit = self.configuration.maxRequestBody, exchange.session.requestBodyBytes > limit {
            exchange.closeAfterResponse = true
            let error = ProxyError(.badRequest(status: 413), "request body over the limit \(limit)")
            exchange.requestComplete = true
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
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
            try self.proxy.requestBodyFilter(exchange.session, &piece, endOfStream: false, &exchange.context)
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

    private func requestEnd() {
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
            try self.proxy.requestBodyFilter(exchange.session, &piece, endOfStream: true, &exchange.context)
        } catch {
            return self.fail(exchange, ProxyError(.phase, "request body filter: \(error)"))
        }
        if let connection = exchange.upstreamConnection {
            if let piece { connection.write(.body(.byteBuffer(piece))) }
            connection.write(.end(nil))
            connection.flush()
        } else if let piece {
            exchange.queuedBody.append(piece)
        }
    }

    // MARK: Upstream

    private func connectUpstream(_ exchange: ProxyExchange<Proxy.Context>) {
        let peer: HTTPPeer
        do {
            peer = try self.proxy.upstreamPeer(exchange.session, &exchange.context)
        } catch {
            return self.fail(exchange, ProxyError(.phase, "upstream peer: \(error)"))
        }
        exchange.session.peer = peer
        exchange.session.connectAttempts += 1
        if let connection = self.pool.take(peer) {
            exchange.upstreamWasReused = true
            self.attach(connection, peer: peer, exchange)
            return
        }
        exchange.upstream = .connecting
        exchange.upstreamWasReused = false
        self.pool.connect(peer) { [self] result in
            // The client may have gone, or the request failed, while connecting.
            guard self.exchange === exchange, case .connecting = exchange.upstream else {
                if case .success(let connection) = result { self.pool.giveBackUnused(connection) }
                return
            }
            switch result {
            case .success(let connection):
                self.attach(connection, peer: peer, exchange)
            case .failure(let error):
                exchange.upstream = .none
                self.logger.warning(
                    "upstream connect failed",
                    metadata: ["peer": "\(peer)", "error": "\(error.message)", "attempt": "\(exchange.session.connectAttempts)"]
                )
                if exchange.session.connectAttempts < Self.maxConnectAttempts,
                    self.proxy.failToConnect(exchange.session, peer: peer, error: error, &exchange.context)
                {
                    self.connectUpstream(exchange)
                } else {
                    self.fail(exchange, error)
                }
            }
        }
    }

    private func attach(_ connection: UpstreamConnection, peer: HTTPPeer, _ exchange: ProxyExchange<Proxy.Context>) {
        var head = exchange.session.request
        head.headers.remove(name: "expect")
        HopByHopHeaders.remove(from: &head.headers)
        self.addForwardingHeaders(&head, exchange.session)
        switch exchange.requestFraming {
        case .none:
            head.headers.remove(name: "content-length")
            if head.method == .POST || head.method == .PUT || head.method == .PATCH {
                head.headers.add(name: "Content-Length", value: "0")
            }
        case .contentLength(let length):
            head.headers.replaceOrAdd(name: "Content-Length", value: String(length))
        case .chunked:
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        head.version = .http1_1
        do {
            try self.proxy.upstreamRequestFilter(exchange.session, &head, &exchange.context)
        } catch {
            self.pool.giveBackUnused(connection)
            return self.fail(exchange, ProxyError(.phase, "upstream request filter: \(error)"))
        }
        exchange.upstream = .attached(connection)
        connection.begin(sink: self, readTimeout: peer.readTimeout)
        connection.setReadPaused(!self.context.channel.isWritable)
        connection.write(.head(head))
        for piece in exchange.queuedBody {
            connection.write(.body(.byteBuffer(piece)))
        }
        exchange.queuedBody = []
        exchange.queuedBodyBytes = 0
        if exchange.requestComplete {
            connection.write(.end(nil))
        }
        connection.flush()
        self.resumeReading()
    }

    private func addForwardingHeaders(_ head: inout HTTPRequestHead, _ session: ProxySession) {
        let forwarding = self.configuration.forwarding
        if forwarding.xForwardedFor, let ip = session.clientIP {
            Self.appendListElement(ip, to: "X-Forwarded-For", in: &head.headers)
        }
        if forwarding.xForwardedProto {
            head.headers.replaceOrAdd(name: "X-Forwarded-Proto", value: session.scheme)
        }
        if forwarding.via {
            let version = session.request.version.minor == 0 ? "1.0" : "1.1"
            Self.appendListElement("\(version) \(forwarding.viaName)", to: "Via", in: &head.headers)
        }
    }

    /// Appends `element` to a comma-separated list field, keeping every existing field
    /// line's elements in order (RFC 9110 §5.3: several lines form one list).
    private static func appendListElement(_ element: String, to name: String, in headers: inout HTTPHeaders) {
        let existing = headers[name]
        if existing.isEmpty {
            headers.add(name: name, value: element)
        } else {
            headers.replaceOrAdd(name: name, value: (existing + [element]).joined(separator: ", "))
        }
    }

    func upstreamResponseHead(_ upstreamHead: HTTPResponseHead) {
        guard let exchange = self.exchange else { return }
        let code = upstreamHead.status.code
        if code < 200 {
            // Interim responses: relay to HTTP/1.1 clients, except a second 100 Continue.
            guard code != 101, exchange.session.request.version.minor >= 1 else { return }
            if code == 100 {
                guard !exchange.sentContinue else { return }
                exchange.sentContinue = true
                exchange.expectsContinue = false
            }
            var head = upstreamHead
            HopByHopHeaders.remove(from: &head.headers)
            head.version = .http1_1
            var buffer = self.context.channel.allocator.buffer(capacity: 64)
            ResponseHeadWriter.write(head, into: &buffer)
            self.context.write(self.wrapOutboundOut(buffer), promise: nil)
            return
        }
        var head = upstreamHead
        let contentLength = head.headers.first(name: "content-length").flatMap { Int($0) }
        HopByHopHeaders.remove(from: &head.headers)
        if self.configuration.forwarding.via {
            // RFC 9110 §7.6.3: a proxy adds Via to every message it forwards, responses too.
            let version = upstreamHead.version.minor == 0 ? "1.0" : "1.1"
            Self.appendListElement("\(version) \(self.configuration.forwarding.viaName)", to: "Via", in: &head.headers)
        }
        self.proxy.upstreamResponseFilter(exchange.session, &head, &exchange.context)
        do {
            try self.proxy.responseFilter(exchange.session, &head, &exchange.context)
        } catch {
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
            return self.fail(exchange, ProxyError(.phase, "response filter: \(error)"))
        }
        // The request body is still coming while the response starts: the connection cannot be reused.
        if !exchange.requestComplete { exchange.closeAfterResponse = true }
        let framing = ResponseFraming.decide(
            status: head.status,
            requestMethod: exchange.session.request.method,
            clientVersion: exchange.session.request.version,
            contentLength: contentLength
        )
        self.writeHead(&head, framing: framing, exchange)
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        guard let exchange = self.exchange, case .streaming(let framing) = exchange.response else { return }
        var piece: ByteBuffer? = body
        do {
            try self.proxy.responseBodyFilter(exchange.session, &piece, endOfStream: false, &exchange.context)
        } catch {
            exchange.error = ProxyError(.phase, "response body filter: \(error)")
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
            return self.finishWithBrokenConnection(exchange)
        }
        guard let piece, piece.readableBytes > 0 else { return }
        self.writeBody(piece, framing: framing, exchange)
    }

    func upstreamResponseEnd() {
        guard let exchange = self.exchange, case .streaming(let framing) = exchange.response else { return }
        if let connection = exchange.upstreamConnection {
            if connection.state == .reusable { self.pool.giveBack(connection) }
        }
        exchange.upstream = .finished
        var piece: ByteBuffer? = nil
        try? self.proxy.responseBodyFilter(exchange.session, &piece, endOfStream: true, &exchange.context)
        if let piece, piece.readableBytes > 0 { self.writeBody(piece, framing: framing, exchange) }
        self.endResponse(framing: framing, exchange)
    }

    func upstreamReadComplete() {
        self.context.flush()
    }

    func upstreamFailed(_ error: ProxyError) {
        guard let exchange = self.exchange else { return }
        let wasReused = exchange.upstreamWasReused
        exchange.upstream = .finished
        let peer = exchange.session.peer!
        // A pooled socket the upstream had already closed: the request never got an
        // answer; a body-less request can safely go again on a fresh connection.
        if wasReused, !exchange.responseStarted, exchange.requestFraming == .none, error.kind == .upstreamClosed {
            exchange.upstream = .none
            exchange.session.connectAttempts -= 1
            self.connectUpstream(exchange)
            return
        }
        let reported = self.proxy.errorWhileProxy(exchange.session, peer: peer, error: error, &exchange.context)
        self.logger.warning("upstream failed", metadata: ["peer": "\(peer)", "error": "\(reported.message)"])
        if exchange.responseStarted {
            exchange.error = reported
            self.finishWithBrokenConnection(exchange)
        } else {
            if !exchange.requestComplete { exchange.closeAfterResponse = true }
            self.fail(exchange, reported)
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { self.resumeReading() }
    }

    // MARK: Writing responses

    private func writeHead(_ head: inout HTTPResponseHead, framing: ResponseFraming, _ exchange: ProxyExchange<Proxy.Context>) {
        if self.draining { exchange.closeAfterResponse = true }
        if framing == .closeDelimited { exchange.closeAfterResponse = true }
        head.version = exchange.session.request.version.minor == 0 ? .http1_0 : .http1_1
        ResponseHeadWriter.applyFraming(framing, to: &head.headers, status: head.status)
        if exchange.closeAfterResponse {
            head.headers.replaceOrAdd(name: "Connection", value: "close")
        } else if head.version.minor == 0 {
            head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        exchange.session.responseStatus = head.status
        var buffer = self.context.channel.allocator.buffer(capacity: 256)
        ResponseHeadWriter.write(head, into: &buffer)
        self.context.write(self.wrapOutboundOut(buffer), promise: nil)
        exchange.response = .streaming(framing)
    }

    private func writeBody(_ piece: ByteBuffer, framing: ResponseFraming, _ exchange: ProxyExchange<Proxy.Context>) {
        exchange.session.responseBodyBytes += piece.readableBytes
        switch framing {
        case .none:
            return
        case .contentLength, .closeDelimited:
            self.context.write(self.wrapOutboundOut(piece), promise: nil)
        case .chunked:
            let allocator = self.context.channel.allocator
            self.context.write(self.wrapOutboundOut(ResponseHeadWriter.chunkPrefix(length: piece.readableBytes, allocator: allocator)), promise: nil)
            self.context.write(self.wrapOutboundOut(piece), promise: nil)
            self.context.write(self.wrapOutboundOut(Self.crlf), promise: nil)
        }
    }

    private static var crlf: ByteBuffer { ByteBuffer(staticString: "\r\n") }
    private static var lastChunk: ByteBuffer { ByteBuffer(staticString: "0\r\n\r\n") }

    private func endResponse(framing: ResponseFraming, _ exchange: ProxyExchange<Proxy.Context>) {
        if framing == .chunked {
            self.context.write(self.wrapOutboundOut(Self.lastChunk), promise: nil)
        }
        self.context.flush()
        exchange.response = .complete
        if exchange.requestComplete || exchange.closeAfterResponse {
            self.finishExchange(exchange)
        }
    }

    /// Sends a complete response produced by Pylon itself (after `responseFilter`).
    private func respondLocally(_ response: ProxyResponse, _ exchange: ProxyExchange<Proxy.Context>) {
        var head = HTTPResponseHead(version: .http1_1, status: response.status, headers: response.headers)
        try? self.proxy.responseFilter(exchange.session, &head, &exchange.context)
        let framing = ResponseFraming.decide(
            status: head.status,
            requestMethod: exchange.session.request.method,
            clientVersion: exchange.session.request.version,
            contentLength: response.body.readableBytes
        )
        self.writeHead(&head, framing: framing, exchange)
        if response.body.readableBytes > 0 { self.writeBody(response.body, framing: framing, exchange) }
        self.endResponse(framing: framing, exchange)
    }

    /// A failure before the response started: the error page from `failToProxy`.
    private func fail(_ exchange: ProxyExchange<Proxy.Context>, _ error: ProxyError) {
        exchange.error = error
        if case .badRequest = error.kind {} else {
            if exchange.session.peer == nil || error.kind == .phase {
                self.logger.error("request failed", metadata: ["error": "\(error)"])
            }
        }
        if exchange.responseStarted {
            self.finishWithBrokenConnection(exchange)
            return
        }
        exchange.discardingBody = true
        if !exchange.requestComplete {
            switch exchange.requestFraming {
            case .contentLength(let length) where length <= Self.maxDiscardedBodyBytes && !exchange.expectsContinue:
                break
            default:
                exchange.closeAfterResponse = true
            }
        }
        self.respondLocally(self.proxy.failToProxy(exchange.session, error: error, &exchange.context), exchange)
    }

    // MARK: Ending requests and connections

    private func finishExchange(_ exchange: ProxyExchange<Proxy.Context>) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        self.bodyTimer?.cancel()
        self.bodyTimer = nil
        self.requestsServed += 1
        self.log(exchange, error: exchange.error)
        if exchange.closeAfterResponse || self.inputClosed {
            self.closeGracefully()
        } else {
            self.resumeReading()
        }
    }

    /// The response cannot be completed (upstream died mid-body): closing is the only
    /// honest signal left; a kept-alive connection must never carry a short body.
    private func finishWithBrokenConnection(_ exchange: ProxyExchange<Proxy.Context>) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        self.closing = true
        self.log(exchange, error: exchange.error)
        self.context.close(promise: nil)
    }

    /// Ends the exchange because the client went away or stopped mid-request.
    private func abortExchange(_ error: ProxyError) {
        guard let exchange = self.exchange else { return }
        exchange.error = error
        exchange.upstreamConnection?.abandon()
        exchange.upstream = .finished
        self.finishWithBrokenConnection(exchange)
    }

    private func log(_ exchange: ProxyExchange<Proxy.Context>, error: ProxyError?) {
        let status: Int
        if let responseStatus = exchange.session.responseStatus {
            status = Int(responseStatus.code)
        } else {
            status = error?.suggestedStatus ?? 499
        }
        let record = ProxyLogRecord(
            status: status,
            responseBodyBytes: exchange.session.responseBodyBytes,
            requestBodyBytes: exchange.session.requestBodyBytes,
            duration: .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds - exchange.session.startTime.uptimeNanoseconds)),
            peer: exchange.session.peer,
            error: error
        )
        self.proxy.logging(exchange.session, record, &exchange.context)
    }

    /// Half-closes (FIN, never RST) and reads and drops what the client still sends for a
    /// short linger, so a response already written is not destroyed by a reset.
    private func closeGracefully() {
        guard !self.closing else { return }
        self.closing = true
        self.wait = nil
        let channel = self.context.channel
        self.context.flush()
        self.context.close(mode: .output).assumeIsolated().whenComplete { [self] result in
            if case .failure = result {
                channel.close(promise: nil)
                return
            }
            if self.inputClosed {
                channel.close(promise: nil)
                return
            }
            // Keep reading (and dropping) until the client closes or the linger ends.
            self.readPending = false
            channel.read()
            self.lingerTimer = channel.eventLoop.assumeIsolated().scheduleTask(in: self.configuration.lingerTimeout) {
                channel.close(promise: nil)
            }
        }
    }

    // MARK: Draining

    private func beginDrain(closeIdleAfter: TimeAmount) {
        self.draining = true
        self.drainIdleGrace = closeIdleAfter
        if let exchange = self.exchange {
            // Answer this request with `Connection: close` if its head is not out yet.
            // If it is, the connection turns idle-draining after the response: the next
            // request on it is answered with `Connection: close`.
            if !exchange.responseStarted { exchange.closeAfterResponse = true }
            return
        }
        // Idle: stay open so a request already on its way is answered (with
        // `Connection: close`); half-close only if the connection is still idle later.
        self.wait = nil
        self.armWaitTimer()
    }

    // MARK: Timers

    /// Between requests: the idle timeout; once a head has started arriving (or on a
    /// fresh connection): the header timeout, answered with 408; when draining: the
    /// drain's idle grace. A deadline already running for the same purpose is kept, so
    /// a client trickling its head cannot extend it.
    private func armWaitTimer() {
        guard !self.closing, self.exchange == nil, self.context != nil else { return }
        let purpose: WaitPurpose
        let timeout: TimeAmount
        if self.draining {
            (purpose, timeout) = (.drain, self.drainIdleGrace)
        } else if self.input.readableBytes > 0 || self.requestsServed == 0 {
            (purpose, timeout) = (.head, self.configuration.headerTimeout)
        } else {
            (purpose, timeout) = (.idle, self.configuration.idleTimeout)
        }
        if let wait = self.wait, wait.purpose == purpose { return }
        let deadline = NIODeadline.now() + timeout
        self.wait = (purpose, deadline)
        if let firesAt = self.waitTimerFiresAt, self.waitTimer != nil, firesAt <= deadline { return }
        self.scheduleWaitTimer(at: deadline)
    }

    private func scheduleWaitTimer(at deadline: NIODeadline) {
        self.waitTimer?.cancel()
        self.waitTimerFiresAt = deadline
        self.waitTimer = self.context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.waitTimer = nil
            self.waitTimerFiresAt = nil
            self.waitTimerFired()
        }
    }

    private func waitTimerFired() {
        guard let wait = self.wait, self.exchange == nil, !self.closing else { return }
        guard wait.deadline <= .now() else {
            self.scheduleWaitTimer(at: wait.deadline)
            return
        }
        self.wait = nil
        switch wait.purpose {
        case .head where self.input.readableBytes > 0:
            self.rejectRequest(RequestParseError(status: 408, reason: "request head not complete in time"))
        case .head, .idle, .drain:
            self.closeGracefully()
        }
    }

    private func armBodyTimer() {
        guard self.bodyTimer == nil else { return }
        let timeout = self.configuration.bodyTimeout
        let deadline = (self.exchange?.lastBodyRead ?? .now()) + timeout
        self.bodyTimer = self.context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.bodyTimer = nil
            guard let exchange = self.exchange, !exchange.requestComplete else { return }
            if exchange.lastBodyRead + timeout > .now() || !self.mayRead {
                // Body still moving, or held back by Pylon's own backpressure.
                if !self.mayRead { exchange.lastBodyRead = .now() }
                self.armBodyTimer()
                return
            }
            let error = ProxyError(.badRequest(status: 408), "request body stalled for \(timeout)")
            exchange.requestComplete = true
            exchange.closeAfterResponse = true
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
            self.fail(exchange, error)
        }
    }
}

enum WaitPurpose {
    case idle, head, drain
}
