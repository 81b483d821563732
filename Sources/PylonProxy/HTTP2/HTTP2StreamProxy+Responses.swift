import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Writing a stream's response and ending the stream.
extension HTTP2StreamProxy {
    /// `hold`: keep the head back until a body piece, the end of the response, or the end of
    /// the upstream's read follows (see `endResponse`).
    func writeHead(_ head: HTTPResponseHead, framing: ResponseFraming, _ exchange: ProxyExchange<Proxy.Context>, hold: Bool = false) {
        var head = head
        head.version = .http2
        // Connection-specific fields are malformed in HTTP/2 (RFC 9113 §8.2.2), whoever added them.
        HopByHopHeaders.remove(from: &head.headers)
        exchange.session.responseStatus = head.status
        exchange.response = .streaming(framing)
        if hold {
            self.heldResponseHead = head
        } else {
            self.context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        }
    }

    /// Writes the response head held back by `writeHead`, if any.
    func releaseHeldHead() {
        guard let head = self.heldResponseHead else { return }
        self.heldResponseHead = nil
        self.context.write(self.wrapOutboundOut(.head(head)), promise: nil)
    }

    func writeBody(_ piece: ByteBuffer, framing: ResponseFraming, _ exchange: ProxyExchange<Proxy.Context>) {
        self.releaseHeldHead()
        exchange.session.responseBodyBytes += piece.readableBytes
        // HEAD, 204 and 304 responses carry no DATA.
        guard framing != .none else { return }
        self.context.write(self.wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
    }

    /// `trailers` go out as the trailing HEADERS frame (gRPC's `grpc-status`). A response
    /// whose head is still held ends without a body: head and end go out as one HEADERS frame
    /// with END_STREAM, the shape it came in. gRPC's Trailers-Only responses (an error status
    /// and no message) must keep it: after a separate empty DATA frame a client takes their
    /// `grpc-status` for a header and finds the stream ended without trailers.
    func endResponse(_ exchange: ProxyExchange<Proxy.Context>, trailers: HTTPHeaders? = nil) {
        // Complete before the write: the END_STREAM may close the stream's channel (and run
        // channelInactive) before the write returns.
        exchange.response = .complete
        if trailers == nil, let head = self.heldResponseHead {
            self.heldResponseHead = nil
            self.writeHeadEndingStream(head)
        } else {
            self.releaseHeldHead()
            self.context.writeAndFlush(self.wrapOutboundOut(.end(trailers)), promise: nil)
        }
        self.finish(exchange)
        if !exchange.requestComplete {
            // Answered before the client finished sending (413, a local answer, an
            // upstream that replied early): the rest of the body is not wanted
            // (RFC 9113 §8.1: RST_STREAM with NO_ERROR after a complete response).
            exchange.requestComplete = true
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
            self.reset(.noError)
        }
    }

    /// Sends a complete response produced by Pylon itself (after `responseFilter`).
    func respondLocally(_ response: ProxyResponse, _ exchange: ProxyExchange<Proxy.Context>) {
        var head = HTTPResponseHead(version: .http2, status: response.status, headers: response.headers)
        try? self.proxy.responseFilter(exchange.session, &head, &exchange.context)
        let framing = ResponseFraming.decide(
            status: head.status,
            requestMethod: exchange.session.request.method,
            clientVersion: .http1_1,
            contentLength: response.body.readableBytes
        )
        self.writeHead(head, framing: framing, exchange)
        if response.body.readableBytes > 0 { self.writeBody(response.body, framing: framing, exchange) }
        self.endResponse(exchange)
    }

    /// A failure: the error page from `failToProxy` if nothing was sent yet, else a reset.
    func fail(_ exchange: ProxyExchange<Proxy.Context>, _ error: ProxyError) {
        exchange.error = error
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
        self.respondLocally(self.proxy.failToProxy(exchange.session, error: error, &exchange.context), exchange)
    }

    /// The response cannot be completed (upstream died mid-body): resetting the stream
    /// is the only honest signal left; the connection's other streams go on.
    func resetStream(_ exchange: ProxyExchange<Proxy.Context>) {
        self.finish(exchange)
        exchange.upstreamConnection?.abandon()
        exchange.upstream = .finished
        self.reset(.internalError)
    }

    /// A response head as one HEADERS frame with END_STREAM, written below the codec: it
    /// writes a head and an end as two frames.
    private func writeHeadEndingStream(_ head: HTTPResponseHead) {
        var fields = HTTPHeaders([(":status", String(head.status.code))])
        fields.add(contentsOf: head.headers)
        let headers = HPACKHeaders(httpHeaders: fields, normalizeHTTPHeaders: true)
        let frame = HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: true))
        let codec = try? self.context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTP1ServerCodec.self)
        codec?.writeAndFlush(NIOAny(frame), promise: nil)
    }

    /// Sends RST_STREAM with `code` and closes the stream's channel.
    private func reset(_ code: HTTP2ErrorCode) {
        // Written below the codec, which only speaks HTTP/1 parts.
        if let codec = try? self.context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTP1ServerCodec.self) {
            codec.writeAndFlush(NIOAny(HTTP2Frame.FramePayload.rstStream(code)), promise: nil)
        }
        self.context.close(promise: nil)
    }

    /// Runs `logging` for the stream's request, once.
    func finish(_ exchange: ProxyExchange<Proxy.Context>) {
        guard !self.logged else { return }
        self.log(exchange, error: exchange.error)
    }

    func log(_ exchange: ProxyExchange<Proxy.Context>, error: ProxyError?) {
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
        self.proxy.logging(exchange.session, record, &exchange.context)
    }
}
