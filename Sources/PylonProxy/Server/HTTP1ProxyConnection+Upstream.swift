import NIOCore
import NIOHTTP1

/// Receiving the upstream's response for the current request (sending it is
/// `UpstreamRequestSender`'s).
extension HTTP1ProxyConnection: UpstreamRequestSender {
    var forwarding: ProxyServerConfiguration.Forwarding { self.configuration.forwarding }

    func upstreamResponseHead(_ upstreamHead: consuming ResponseHead, contentLength: Int?) {
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
            head.version = .http1_1
            var buffer = self.allocator.buffer(capacity: 64)
            ResponseHeadWriter.write(head, into: &buffer)
            self.releaseHeldResponse()
            self.writeToClient(buffer)
            return
        }
        var head = consume upstreamHead
        if self.configuration.forwarding.via {
            // RFC 9110 §7.6.3: a proxy adds Via to every message it forwards, responses too.
            UpstreamRequestHead.appendVia(receivedWith: head.version, self.configuration.forwarding, to: &head.headers)
        }
        exchange.upstreamResponseFilter(&head)
        do {
            try exchange.responseFilter(&head)
        } catch {
            exchange.abandonUpstream()
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
        self.writeHead(head, framing: framing, exchange)
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        guard let exchange = self.exchange, case .streaming(let framing) = exchange.response else { return }
        var piece: ByteBuffer? = body
        do {
            try exchange.responseBodyFilter(&piece, endOfStream: false)
        } catch {
            exchange.error = ProxyError(.phase, "response body filter: \(error)")
            exchange.abandonUpstream()
            return self.finishWithBrokenConnection(exchange)
        }
        guard let piece, piece.readableBytes > 0 else { return }
        self.writeBody(piece, framing: framing, exchange)
    }

    func upstreamResponseEnd(trailers: HTTPHeaders?) {
        guard let exchange = self.exchange, case .streaming(let framing) = exchange.response else { return }
        if let connection = exchange.upstreamConnection {
            if connection.state == .reusable { self.pool.giveBack(connection) }
        }
        exchange.upstream = .finished
        var piece: ByteBuffer? = nil
        try? exchange.responseBodyFilter(&piece, endOfStream: true)
        if let piece, piece.readableBytes > 0 { self.writeBody(piece, framing: framing, exchange) }
        self.endResponse(framing: framing, trailers: trailers, exchange)
    }

    func upstreamReadComplete() {
        self.flushResponseAtEndOfTick()
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
        // An HTTP/2 stream the upstream never processed: a body-less request can go again.
        if error.kind == .upstreamRefusedStream, !exchange.responseStarted, exchange.requestFraming == .none,
            exchange.session.connectAttempts < Self.maxConnectAttempts
        {
            exchange.upstream = .none
            self.connectUpstream(exchange)
            return
        }
        let reported = exchange.errorWhileProxy(peer: peer, error: error)
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
}
