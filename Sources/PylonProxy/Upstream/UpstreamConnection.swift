import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP/1.1 connection to an upstream, serving one request at a time, pooled in
/// between. It speaks HTTP/1.1 itself (requests written as bytes, responses read by
/// `HTTP1ResponseParser`) rather than through NIOHTTP1's codec handlers: that takes two
/// handlers, their type-erased hops and a write-observing decoder off every request.
/// It forwards what it reads to its sink, holds reads back while the client cannot keep
/// up, and enforces the peer's read timeout.
///
/// It also serves one request on a stream of an HTTP/2 upstream connection, behind
/// `HTTP2FramePayloadToHTTP1ClientCodec`: there it writes HTTP/1 parts and receives them
/// through `HTTP2UpstreamStreamRelay`; the stream's writability follows its flow-control
/// window, and holding its reads back holds back its WINDOW_UPDATEs. Such a stream is
/// never pooled (see `HTTP2UpstreamPool`).
///
/// Its stored properties skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`):
/// it lives on one event loop and is only touched there, in code that never holds one of
/// them across a call back into the same object. The checks cost a thread-local lookup
/// per access, about 180 per proxied request across the request path's objects.
final class UpstreamConnection: ChannelDuplexHandler, EndOfTickFlushing {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Serving a request; the response is not complete yet.
        case active
        /// The last response was read completely; the connection may be reused. Never
        /// true of a closed channel: `close()` and `channelInactive` both leave it.
        case reusable
        /// Closed or about to be: never reuse.
        case closed
    }

    let peerAddress: SocketAddress
    let poolKey: UpstreamPoolKey
    /// Whether this is one stream of an HTTP/2 connection rather than an HTTP/1.1 connection.
    let isHTTP2Stream: Bool
    /// Pooling limits of the peer this connection was opened for.
    let maxIdleConnections: Int
    let idleTimeout: TimeAmount
    /// While pooled: when the connection is closed unless it is used before. Owned by the pool.
    @exclusivity(unchecked) var idleDeadline: NIODeadline?
    @exclusivity(unchecked) var idleTimer: Scheduled<Void>?
    /// When `idleTimer` fires; owned by the pool.
    @exclusivity(unchecked) var idleTimerFiresAt: NIODeadline?
    @exclusivity(unchecked) private(set) var state: State = .active
    /// Who the response goes to while a request is served; nil otherwise. Strong, though
    /// the sink holds this connection too: every way a request's use ends clears it (the
    /// response's end, `abandon`, a failure, the channel going), and a weak reference gave
    /// the client connection a side table, so that each of its retains and releases took
    /// the runtime's slow path for as long as the connection lived.
    @exclusivity(unchecked) var sink: (any UpstreamResponseSink)?
    @exclusivity(unchecked) private var context: ChannelHandlerContext?
    /// The channel's allocator and writability, kept here: asking the channel for either
    /// retains and releases it, and the allocator's getter takes a hundred instructions.
    @exclusivity(unchecked) private var allocator = ByteBufferAllocator()
    @exclusivity(unchecked) private var channelIsWritable = true
    /// The upstream said it keeps the connection open after this response.
    @exclusivity(unchecked) private var upstreamKeepsAlive = true
    /// The request's end was written: only then is a silent upstream a timeout.
    @exclusivity(unchecked) private var requestEndWritten = false
    /// Reads are held back because the client connection is not writable.
    @exclusivity(unchecked) private var readPaused = false
    @exclusivity(unchecked) private var readPending = false
    @exclusivity(unchecked) private var readTimeout: TimeAmount = .seconds(30)
    @exclusivity(unchecked) private var readTimer: Scheduled<Void>?
    @exclusivity(unchecked) private var lastRead = NIODeadline.now()
    @exclusivity(unchecked) private var writer = UpstreamRequestWriter()
    @exclusivity(unchecked) private var parser = HTTP1ResponseParser()
    /// Bytes of a head or chunk-size line that arrived incomplete.
    @exclusivity(unchecked) private var unparsed: ByteBuffer?
    /// Something was written since the last flush.
    @exclusivity(unchecked) private(set) var hasUnflushedWrites = false
    @exclusivity(unchecked) var flushQueued = false

    /// The event loop's buffers for request heads (none for a stream of an HTTP/2 connection).
    private let headBuffers: HeadBufferCache?

    init(peer: HTTPPeer, isHTTP2Stream: Bool = false, headBuffers: HeadBufferCache? = nil) {
        self.isHTTP2Stream = isHTTP2Stream
        self.headBuffers = headBuffers
        self.peerAddress = peer.address
        self.poolKey = peer.poolKey
        self.maxIdleConnections = peer.maxIdleConnections
        self.idleTimeout = peer.idleTimeout
    }

    var channel: (any Channel)? { self.context?.channel }
    var isWritable: Bool { self.context != nil && self.channelIsWritable }

    // MARK: Use by a request

    /// Starts serving a request for `sink`.
    func begin(sink: any UpstreamResponseSink, readTimeout: TimeAmount) {
        self.sink = sink
        self.state = .active
        self.readTimeout = readTimeout
        self.requestEndWritten = false
        self.upstreamKeepsAlive = true
    }

    /// Writes the request's head: as bytes to an HTTP/1.1 upstream, as NIOHTTP1's head to
    /// an HTTP/2 stream, whose codec makes the header block.
    func writeHead(_ head: RequestHead) {
        guard let context = self.context, self.state != .closed else { return }
        self.hasUnflushedWrites = true
        if self.isHTTP2Stream {
            let nioHead = HTTPRequestHead(
                version: head.version, method: head.method, uri: head.uri, headers: HTTPHeaders(head.headers)
            )
            let part = HTTPClientRequestPart.head(nioHead)
            context.write(NIOAny(part), promise: nil)
            return
        }
        self.parser.expectResponse(to: head.method)
        let bytes = self.writer.writeHead(head, allocator: self.allocator, buffers: self.headBuffers)
        context.write(self.wrapOutboundOut(bytes), promise: nil)
        self.headBuffers?.recycle(bytes)
    }

    /// Writes a piece of the request's body, or its end.
    func write(_ part: HTTPClientRequestPart) {
        guard let context = self.context, self.state != .closed else { return }
        self.hasUnflushedWrites = true
        if self.isHTTP2Stream {
            if case .end = part { self.requestEnded() }
            context.write(NIOAny(part), promise: nil)
            return
        }
        switch part {
        case .head(let head):
            let requestHead = RequestHead(
                version: head.version, method: head.method, uri: head.uri, headers: HeaderFields(head.headers)
            )
            self.writeHead(requestHead)
        case .body(let body):
            guard case .byteBuffer(let piece) = body, piece.readableBytes > 0 else {
                // Pylon forwards what it read from sockets: always byte buffers.
                return
            }
            if let prefix = self.writer.bodyPrefix(length: piece.readableBytes, allocator: self.allocator) {
                context.write(self.wrapOutboundOut(prefix), promise: nil)
            }
            context.write(self.wrapOutboundOut(piece), promise: nil)
            if let suffix = self.writer.bodySuffix {
                context.write(self.wrapOutboundOut(suffix), promise: nil)
            }
        case .end(let trailers):
            if let last = self.writer.end(trailers: trailers, allocator: self.allocator) {
                context.write(self.wrapOutboundOut(last), promise: nil)
            }
            self.requestEnded()
        }
    }

    /// The whole request was written: from now on a silent upstream is a timeout.
    private func requestEnded() {
        self.requestEndWritten = true
        self.lastRead = .now()
        self.armReadTimer()
    }

    func flush() {
        self.hasUnflushedWrites = false
        self.context?.flush()
    }

    func flushAtEndOfTick() {
        if self.hasUnflushedWrites { self.flush() }
    }

    /// Holds reads back (client not writable) or lets them go again.
    func setReadPaused(_ paused: Bool) {
        guard paused != self.readPaused else { return }
        self.readPaused = paused
        if !paused {
            self.lastRead = .now()
            self.armReadTimer()
            if self.readPending, let context = self.context {
                self.readPending = false
                context.read()
            }
        }
    }

    /// Marks a connection that served no request as reusable.
    func markUnused() {
        guard self.state == .active, self.sink == nil else { return }
        self.state = .reusable
    }

    /// Closes the connection without telling the sink (the sink is giving up on it).
    func abandon() {
        self.sink = nil
        self.close()
    }

    func close() {
        guard self.state != .closed else { return }
        self.state = .closed
        self.readTimer?.cancel()
        self.readTimer = nil
        self.context?.close(promise: nil)
    }

    // MARK: ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.allocator = context.channel.allocator
        self.channelIsWritable = context.channel.isWritable
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // The channel has gone: whatever sink is left would otherwise keep this alive.
        self.sink = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.lastRead = .now()
        var input = self.unwrapInboundIn(data)
        guard self.state == .active, let sink = self.sink else {
            // Bytes on an idle pooled connection: the upstream is out of step. Drop it.
            self.close()
            return
        }
        if var unparsed = self.unparsed {
            self.unparsed = nil
            unparsed.writeBuffer(&input)
            input = unparsed
        }
        reading: while true {
            let event: HTTP1ResponseParser.Event?
            do {
                event = try self.parser.next(&input)
            } catch {
                self.fail(ProxyError(.upstreamProtocol, "upstream \(self.peerAddress.ipAddressAndPort): \(error.reason)"))
                return
            }
            // Consumed, so the sink holds the only reference to a head and the filters that
            // edit its fields do not copy them first.
            switch consume event {
            case nil:
                break reading
            case .head(let head)?:
                if head.status.code >= 200 { self.upstreamKeepsAlive = self.parser.lastHeadKeepsAlive }
                sink.upstreamResponseHead(consume head, contentLength: self.parser.lastHeadContentLength)
            case .body(let body)?:
                sink.upstreamResponseBody(body)
            case .end(let trailers)?:
                // Bytes after the end were sent out of turn: the connection cannot be reused.
                self.finishResponse(sink, trailers: trailers, outOfStep: input.readableBytes > 0)
                return
            }
            // The sink may have given up on this connection while handling the event.
            guard self.state == .active, self.sink === sink else { return }
        }
        if input.readableBytes > 0 { self.unparsed = input }
    }

    /// A response part read from an HTTP/2 stream (see `HTTP2UpstreamStreamRelay`).
    func receive(_ part: HTTPClientResponsePart) {
        self.lastRead = .now()
        guard self.state == .active, let sink = self.sink else {
            self.close()
            return
        }
        switch part {
        case .head(let head):
            // A stream serves one request; its connection is what is shared.
            if head.status.code >= 200 { self.upstreamKeepsAlive = false }
            var headers = head.headers
            HopByHopHeaders.remove(from: &headers)
            let contentLength = headers.first(name: "content-length").flatMap { Int($0) }
            let response = ResponseHead(version: head.version, status: head.status, headers: HeaderFields(headers))
            sink.upstreamResponseHead(response, contentLength: contentLength)
        case .body(let body):
            sink.upstreamResponseBody(body)
        case .end(let trailers):
            self.finishResponse(sink, trailers: trailers, outOfStep: false)
        }
    }

    /// The response is complete: reusable if both sides keep the connection open.
    private func finishResponse(_ sink: any UpstreamResponseSink, trailers: HTTPHeaders?, outOfStep: Bool) {
        // A connection that stays open leaves its read timer to lapse on its own (it
        // re-checks the state when it fires): cancelling and rescheduling it per request
        // costs more than it saves. One that closes cancels it: the timer holds the
        // connection, and an HTTP/2 stream's, one per request, would otherwise stay in
        // memory for a whole read timeout after its response.
        let reusable = self.upstreamKeepsAlive && self.requestEndWritten && !outOfStep
        self.state = reusable ? .reusable : .closed
        self.sink = nil
        self.unparsed = nil
        if !reusable {
            self.readTimer?.cancel()
            self.readTimer = nil
            self.context?.close(promise: nil)
        }
        sink.upstreamResponseEnd(trailers: trailers)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.sink?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if self.state == .active, let sink = self.sink, case .end = self.parser.endOfInput() {
            // A body without a length ends here (RFC 9112 §6.3 rule 8).
            self.upstreamKeepsAlive = false
            self.finishResponse(sink, trailers: nil, outOfStep: false)
            context.fireChannelInactive()
            return
        }
        self.fail(ProxyError(.upstreamClosed, "upstream \(self.peerAddress.ipAddressAndPort) closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? ProxyError {
            // Already described by a handler in front (an HTTP/2 stream's reset or refusal).
            self.fail(error)
            context.close(promise: nil)
            return
        }
        // A TLS upstream that closes without close_notify: many do after their last response.
        // The end of input that follows ends a close-delimited body or fails the request.
        if case NIOSSLError.uncleanShutdown = error { return }
        if TLSFailureDescription.isTLSError(error) {
            // E.g. an upstream that refuses the client certificate only after a TLS 1.3 handshake.
            let failure = TLSFailureDescription(error)
            self.fail(ProxyError(.upstreamTLSFailed, "upstream \(self.peerAddress.ipAddressAndPort): TLS failed: \(failure)"))
            context.close(promise: nil)
            return
        }
        self.fail(ProxyError(.upstreamClosed, "upstream \(self.peerAddress.ipAddressAndPort): \(error)"))
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.channelIsWritable = context.channel.isWritable
        self.sink?.upstreamWritabilityChanged(isWritable: self.channelIsWritable)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.readPaused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Failures and timeouts

    private func fail(_ error: ProxyError) {
        let sink = self.sink
        self.sink = nil
        self.close()
        sink?.upstreamFailed(error)
    }

    /// One timer per connection, re-armed lazily: reads only stamp `lastRead`, so the
    /// hot path never schedules or cancels tasks.
    private func armReadTimer() {
        guard self.readTimer == nil, self.requestEndWritten, !self.readPaused, let context = self.context else { return }
        let deadline = self.lastRead + self.readTimeout
        self.readTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.readTimer = nil
            // Only a request that was sent completely and whose reads are not held back
            // can time out; anything else lets the timer lapse.
            guard self.state == .active, self.sink != nil, self.requestEndWritten, !self.readPaused else { return }
            if self.lastRead + self.readTimeout <= .now() {
                self.fail(ProxyError(.readTimeout, "upstream \(self.peerAddress.ipAddressAndPort) sent nothing for \(self.readTimeout)"))
            } else {
                self.armReadTimer()
            }
        }
    }
}
