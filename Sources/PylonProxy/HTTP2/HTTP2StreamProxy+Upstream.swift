import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Forwarding a stream's request to an HTTP/1.1 or HTTP/2 upstream and its response back.
extension HTTP2StreamProxy {
    func connectUpstream(_ exchange: ProxyExchange<Proxy.Context>) {
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
            // The stream may have been reset, or the request failed, while connecting.
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

    func attach(_ connection: UpstreamConnection, peer: HTTPPeer, _ exchange: ProxyExchange<Proxy.Context>) {
        var head = UpstreamRequestHead.make(
            for: exchange.session, framing: exchange.requestFraming, forwarding: self.configuration.forwarding,
            upstreamVersion: peer.httpVersion
        )
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
            connection.write(.end(self.requestTrailers))
        }
        if !self.inReadCycle { connection.flush() }
        self.resumeReading()
    }


    // MARK: UpstreamResponseSink

    func upstreamResponseHead(_ upstreamHead: HTTPResponseHead) {
        guard let exchange = self.exchange, !exchange.responseStarted else { return }
        // Interim responses are not relayed: the request was sent whole or is streaming already.
        guard upstreamHead.status.code >= 200 else { return }
        var head = upstreamHead
        HopByHopHeaders.remove(from: &head.headers)
        if self.configuration.forwarding.via {
            UpstreamRequestHead.appendVia(receivedWith: upstreamHead.version, self.configuration.forwarding, to: &head.headers)
        }
        self.proxy.upstreamResponseFilter(exchange.session, &head, &exchange.context)
        do {
            try self.proxy.responseFilter(exchange.session, &head, &exchange.context)
        } catch {
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
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
            try self.proxy.responseBodyFilter(exchange.session, &piece, endOfStream: false, &exchange.context)
        } catch {
            exchange.error = ProxyError(.phase, "response body filter: \(error)")
            exchange.upstreamConnection?.abandon()
            exchange.upstream = .finished
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
        try? self.proxy.responseBodyFilter(exchange.session, &piece, endOfStream: true, &exchange.context)
        if let piece, piece.readableBytes > 0 { self.writeBody(piece, framing: framing, exchange) }
        self.endResponse(exchange, trailers: TrailerFields.forwardable(trailers))
    }

    func upstreamReadComplete() {
        self.releaseHeldHead()
        self.context.flush()
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
        let reported = self.proxy.errorWhileProxy(exchange.session, peer: peer, error: error, &exchange.context)
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
