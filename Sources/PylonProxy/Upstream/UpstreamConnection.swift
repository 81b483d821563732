import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP/1.1 connection to an upstream, serving one request at a time, pooled in
/// between. It forwards what it reads to its sink, holds reads back while the client
/// cannot keep up, and enforces the peer's read timeout.
///
/// It also serves one request on a stream of an HTTP/2 upstream connection, behind
/// `HTTP2FramePayloadToHTTP1ClientCodec`: the stream speaks HTTP/1 parts, its writability
/// follows the stream's flow-control window and holding its reads back holds back the
/// stream's WINDOW_UPDATEs. Such a stream is never pooled (see `HTTP2UpstreamPool`).
final class UpstreamConnection: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    enum State {
        /// Serving a request; the response is not complete yet.
        case active
        /// The last response was read completely; the connection may be reused.
        case reusable
        /// Closed or about to be: never reuse.
        case closed
    }

    let peerAddress: SocketAddress
    let poolKey: UpstreamPoolKey
    /// Pooling limits of the peer this connection was opened for.
    let maxIdleConnections: Int
    let idleTimeout: TimeAmount
    /// While pooled: when the connection is closed unless it is used before. Owned by the pool.
    var idleDeadline: NIODeadline?
    var idleTimer: Scheduled<Void>?
    private(set) var state: State = .active
    weak var sink: (any UpstreamResponseSink)?
    private var context: ChannelHandlerContext?
    /// The upstream said it keeps the connection open after this response.
    private var upstreamKeepsAlive = true
    /// The request's end was written: only then is a silent upstream a timeout.
    private var requestEndWritten = false
    /// Reads are held back because the client connection is not writable.
    private var readPaused = false
    private var readPending = false
    private var readTimeout: TimeAmount = .seconds(30)
    private var readTimer: Scheduled<Void>?
    private var lastRead = NIODeadline.now()

    init(peer: HTTPPeer) {
        self.peerAddress = peer.address
        self.poolKey = peer.poolKey
        self.maxIdleConnections = peer.maxIdleConnections
        self.idleTimeout = peer.idleTimeout
    }

    var channel: (any Channel)? { self.context?.channel }
    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    // MARK: Use by a request

    /// Starts serving a request for `sink`.
    func begin(sink: any UpstreamResponseSink, readTimeout: TimeAmount) {
        self.sink = sink
        self.state = .active
        self.readTimeout = readTimeout
        self.requestEndWritten = false
        self.upstreamKeepsAlive = true
    }

    func write(_ part: HTTPClientRequestPart) {
        guard let context = self.context, self.state != .closed else { return }
        if case .end = part {
            self.requestEndWritten = true
            self.lastRead = .now()
            self.armReadTimer()
        }
        context.write(self.wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        self.context?.flush()
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
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.lastRead = .now()
        let part = self.unwrapInboundIn(data)
        guard self.state == .active, let sink = self.sink else {
            // Bytes on an idle pooled connection: the upstream is out of step. Drop it.
            self.close()
            return
        }
        switch part {
        case .head(let head):
            if head.status.code >= 200 { self.upstreamKeepsAlive = head.isKeepAlive }
            sink.upstreamResponseHead(head)
        case .body(let body):
            sink.upstreamResponseBody(body)
        case .end(let trailers):
            // The read timer is left to lapse on its own (it re-checks the state when it
            // fires): cancelling and rescheduling it per request costs more than it saves.
            // An HTTP/2 stream is never reused: its response head is not keep-alive.
            self.state = self.upstreamKeepsAlive && self.requestEndWritten ? .reusable : .closed
            self.sink = nil
            if self.state == .closed { context.close(promise: nil) }
            sink.upstreamResponseEnd(trailers: trailers)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.sink?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
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
        let kind: ProxyError.Kind = error is HTTPParserError || error is NIOHTTPDecoderError ? .upstreamProtocol : .upstreamClosed
        self.fail(ProxyError(kind, "upstream \(self.peerAddress.ipAddressAndPort): \(error)"))
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.sink?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
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
