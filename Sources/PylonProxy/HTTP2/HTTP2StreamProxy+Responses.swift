import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Writing a stream's response and ending the stream.
extension HTTP2StreamProxy {
    /// `hold`: keep the head back until a body piece, the end of the response, or the end of
    /// the upstream's read follows (see `endResponse`).
    func writeHead(_ head: ResponseHead, framing: ResponseFraming, _ exchange: ProxyExchange, hold: Bool = false) {
        exchange.session.responseStatus = head.status
        exchange.response = .streaming(framing)
        if hold {
            self.heldResponseHead = head
        } else {
            self.writeFrame(.headers(.init(headers: self.headerBlock(head))))
        }
    }

    /// `head` as the HEADERS frame's block.
    func headerBlock(_ head: ResponseHead) -> HPACKHeaders {
        HTTP2ResponseHeaderBlock.head(status: head.status, fields: head.headers, unindexed: self.configuration.unindexedResponseFields)
    }

    /// Writes the response head held back by `writeHead`, if any.
    func releaseHeldHead() {
        guard let head = self.heldResponseHead else { return }
        self.heldResponseHead = nil
        self.writeFrame(.headers(.init(headers: self.headerBlock(head))))
    }

    /// Writes the body piece held back by `writeBody`, if any.
    func releaseHeldBody() {
        guard let body = self.heldBody else { return }
        self.heldBody = nil
        self.writeFrame(.data(.init(data: .byteBuffer(body))))
    }

    /// The piece is held until the next one, the response's end, or the next flush.
    func writeBody(_ piece: ByteBuffer, framing: ResponseFraming, _ exchange: ProxyExchange) {
        self.releaseHeldHead()
        exchange.session.responseBodyBytes += piece.readableBytes
        // HEAD, 204 and 304 responses carry no DATA.
        guard framing != .none else { return }
        self.releaseHeldBody()
        self.heldBody = piece
    }

    /// Every write to the stream goes through here, so a flush knows whether it has
    /// anything to do.
    func writeFrame(_ payload: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>? = nil) {
        self.hasUnflushedWrites = true
        self.context.write(self.wrapOutboundOut(payload), promise: promise)
    }

    /// Writes what is held back and flushes what was written. A read cycle on either side
    /// ends in one; most have nothing to send.
    func flushResponse() {
        self.releaseHeldHead()
        self.releaseHeldBody()
        guard self.hasUnflushedWrites else { return }
        self.hasUnflushedWrites = false
        self.context.flush()
    }

    /// END_STREAM goes on the last frame of the response: `trailers` as the trailing HEADERS
    /// frame (gRPC's `grpc-status`), else the held body piece's DATA frame, else a head still
    /// held, which makes a body-less response one HEADERS frame, the shape it came in. gRPC's
    /// Trailers-Only responses (an error status and no message) must keep that shape: after a
    /// separate empty DATA frame a client takes their `grpc-status` for a header and finds the
    /// stream ended without trailers.
    func endResponse(_ exchange: ProxyExchange, trailers: HTTPHeaders? = nil) {
        // Complete before the write: the END_STREAM may close the stream's channel (and run
        // channelInactive) before the flush returns.
        exchange.response = .complete
        // Answered before the client finished sending (413, a local answer, an upstream
        // that replied early): the rest of the body is not wanted.
        let answeredEarly = !exchange.requestComplete && !self.clientEndedStream
        if answeredEarly {
            exchange.requestComplete = true
            exchange.abandonUpstream()
        }
        let written: EventLoopPromise<Void>? = answeredEarly ? self.context.eventLoop.makePromise() : nil
        if let trailers {
            self.releaseHeldHead()
            self.releaseHeldBody()
            let block = HTTP2ResponseHeaderBlock.trailers(trailers, unindexed: self.configuration.unindexedResponseFields)
            self.writeFrame(.headers(.init(headers: block, endStream: true)), promise: written)
        } else if let head = self.heldResponseHead {
            self.heldResponseHead = nil
            let block = self.headerBlock(head)
            self.writeFrame(.headers(.init(headers: block, endStream: true)), promise: written)
        } else {
            let body = self.heldBody ?? ByteBuffer()
            self.heldBody = nil
            self.writeFrame(.data(.init(data: .byteBuffer(body), endStream: true)), promise: written)
        }
        // The upstream connection has let go of this stream: no read-complete follows.
        self.flushResponse()
        self.finish(exchange)
        // RST_STREAM with NO_ERROR after the complete response asks the client to stop
        // sending (RFC 9113 §8.1). Only once the response is out: nio-http2 drops DATA
        // still waiting to be written when its stream is reset.
        written?.futureResult.assumeIsolated().whenSuccess { [self] in
            if let context = self.context, context.channel.isActive { self.reset(.noError) }
        }
    }

    /// Sends a complete response produced by Pylon itself (after `responseFilter`).
    func respondLocally(_ response: ProxyResponse, _ exchange: ProxyExchange) {
        var head = ResponseHead(version: .http2, status: response.status, headers: response.headers)
        try? exchange.responseFilter(&head)
        let framing = ResponseFraming.decide(
            status: head.status,
            requestMethod: exchange.session.request.method,
            clientVersion: .http1_1,
            contentLength: response.body.readableBytes
        )
        // Held, like an upstream's: a body-less answer goes out as one HEADERS frame.
        self.writeHead(head, framing: framing, exchange, hold: true)
        if response.body.readableBytes > 0 { self.writeBody(response.body, framing: framing, exchange) }
        self.endResponse(exchange)
    }

    /// A failure: the error page from `failToProxy` if nothing was sent yet, else a reset.
    func fail(_ exchange: ProxyExchange, _ error: ProxyError) {
        exchange.error = error
        // The request is over for the upstream too: a stream left attached would stay open
        // upstream, holding this stream's state, until its read timeout.
        exchange.abandonUpstream()
        if case .badRequest = error.kind {} else {
            if exchange.session.peer == nil || error.kind == .phase {
                self.logger.error("request failed", metadata: ["error": "\(error)"])
            }
        }
        if exchange.responseStarted {
            self.resetStream(exchange)
            return
        }
        exchange.discardingBody = true
        self.respondLocally(exchange.failToProxy(error: error), exchange)
    }

    /// The response cannot be completed (upstream died mid-body): resetting the stream
    /// is the only honest signal left; the connection's other streams go on.
    func resetStream(_ exchange: ProxyExchange) {
        self.finish(exchange)
        exchange.abandonUpstream()
        self.reset(.internalError)
    }

    /// Sends RST_STREAM with `code` and closes the stream's channel; what is still held back
    /// is not wanted any more.
    func reset(_ code: HTTP2ErrorCode) {
        self.heldResponseHead = nil
        self.heldBody = nil
        self.hasUnflushedWrites = false
        self.context.writeAndFlush(self.wrapOutboundOut(.rstStream(code)), promise: nil)
        self.context.close(promise: nil)
    }

    /// Runs `logging` for the stream's request, once.
    func finish(_ exchange: ProxyExchange) {
        guard !self.logged else { return }
        self.log(exchange, error: exchange.error)
    }

    func log(_ exchange: ProxyExchange, error: ProxyError?) {
        self.logged = true
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
        exchange.logging(record)
    }
}
