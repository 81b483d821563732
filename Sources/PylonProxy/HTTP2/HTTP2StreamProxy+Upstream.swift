import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Forwarding a stream's request to an HTTP/1.1 or HTTP/2 upstream and its response back.
extension HTTP2StreamProxy: UpstreamRequestSender {
    var forwarding: ProxyServerConfiguration.Forwarding { self.configuration.forwarding }

    var clientIsWritable: Bool { self.context.channel.isWritable }

    // MARK: UpstreamResponseSink

    func upstreamResponseHead(_ upstreamHead: consuming ResponseHead, contentLength: Int?) {
        guard let exchange = self.exchange, !exchange.responseStarted else { return }
        // Interim responses are not relayed: the request was sent whole or is streaming already.
        guard upstreamHead.status.code >= 200 else { return }
        var head = upstreamHead
        if self.configuration.forwarding.via {
            UpstreamRequestHead.appendVia(receivedWith: head.version, self.configuration.forwarding, to: &head.headers)
        }
        exchange.upstreamResponseFilter(&head)
        do {
            try exchange.responseFilter(&head)
        } catch {
            exchange.abandonUpstream()
            return self.fail(exchange, ProxyError(.phase, "response filter: \(error)"))
        }
        let framing = ResponseFraming.decide(
            status: head.status,
            requestMethod: exchange.session.request.method,
            clientVersion: .http1_1,
            contentLength: head.headers.first(name: "content-length").flatMap { Int($0) }
        )
        // Held until what follows is known: an end right after it makes one frame of both.
        self.writeHead(head, framing: framing, exchange, hold: true)
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        guard let exchange = self.exchange, case .streaming(let framing) = exchange.response else { return }
        var piece: ByteBuffer? = body
        do {
            try exchange.responseBodyFilter(&piece, endOfStream: false)
        } catch {
            exchange.error = ProxyError(.phase, "response body filter: \(error)")
            exchange.abandonUpstream()
            return self.resetStream(exchange)
        }
        guard let piece, piece.readableBytes > 0 else { return }
        self.writeBody(piece, framing: framing, exchange)
    }

    func upstreamResponseEnd(trailers: HTTPHeaders?) {
        guard let exchange = self.exchange, case .streaming(let framing) = exchange.response else { return }
        if let connection = exchange.upstreamConnection, connection.state == .reusable {
            self.pool.giveBack(connection)
        }
        exchange.upstream = .finished
        var piece: ByteBuffer? = nil
        try? exchange.responseBodyFilter(&piece, endOfStream: true)
        if let piece, piece.readableBytes > 0 { self.writeBody(piece, framing: framing, exchange) }
        self.endResponse(exchange, trailers: TrailerFields.forwardable(trailers))
    }

    func upstreamReadComplete() {
        self.flushResponse()
    }

    func upstreamFailed(_ error: ProxyError) {
        guard let exchange = self.exchange else { return }
        exchange.upstream = .finished
        let peer = exchange.session.peer!
        // A pooled socket the upstream had already closed: a body-less request can safely
        // go again on a fresh connection.
        if exchange.upstreamWasReused, !exchange.responseStarted, exchange.requestFraming == .none,
            error.kind == .upstreamClosed
        {
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
            self.resetStream(exchange)
        } else {
            self.fail(exchange, reported)
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { self.resumeReading() }
    }
}
