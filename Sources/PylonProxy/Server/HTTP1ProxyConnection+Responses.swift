import NIOCore
import NIOHTTP1

/// Writing responses to the client and ending requests and connections.
extension HTTP1ProxyConnection {
    func writeHead(_ head: ResponseHead, framing: ResponseFraming, _ exchange: ProxyExchange) {
        if self.draining { exchange.closeAfterResponse = true }
        if framing == .closeDelimited { exchange.closeAfterResponse = true }
        // Written with the client's version; setting it on the head would copy its storage.
        let version: HTTPVersion = exchange.session.request.version.minor == 0 ? .http1_0 : .http1_1
        let connection: ResponseHeadWriter.ConnectionField?
        if exchange.closeAfterResponse {
            connection = .close
        } else if version.minor == 0 {
            connection = .keepAlive
        } else {
            connection = nil
        }
        exchange.session.responseStatus = head.status
        var capacity = 256
        if case .contentLength(let length) = framing, length <= Self.heldBodyLimit { capacity += length }
        var buffer = self.pool.headBuffers.buffer(capacity: capacity, allocator: self.allocator)
        ResponseHeadWriter.write(head, version: version, framing: framing, connection: connection, into: &buffer)
        self.releaseHeldResponse()
        self.heldResponse = buffer
        exchange.response = .streaming(framing)
    }

    /// Body pieces up to this size are copied after a held head rather than written apart:
    /// copying a few KiB costs less than a second pending write and iovec.
    private static var heldBodyLimit: Int { 4096 }

    func writeBody(_ piece: ByteBuffer, framing: ResponseFraming, _ exchange: ProxyExchange) {
        exchange.session.responseBodyBytes += piece.readableBytes
        if framing == .none { return }
        if self.heldResponse != nil, piece.readableBytes <= Self.heldBodyLimit {
            if framing == .chunked {
                ResponseHeadWriter.writeChunk(piece, into: &self.heldResponse!)
            } else {
                self.heldResponse!.writeImmutableBuffer(piece)
            }
            return
        }
        self.releaseHeldResponse()
        switch framing {
        case .none:
            return
        case .contentLength, .closeDelimited:
            self.writeToClient(piece)
        case .chunked:
            let allocator = self.allocator
            self.writeToClient(ResponseHeadWriter.chunkPrefix(length: piece.readableBytes, allocator: allocator))
            self.writeToClient(piece)
            self.writeToClient(ResponseHeadWriter.chunkEnd)
        }
    }

    /// Hands a held response head (and what joined it) to the channel.
    func releaseHeldResponse() {
        guard let held = self.heldResponse else { return }
        self.heldResponse = nil
        self.writeToClient(held)
        self.pool.headBuffers.recycle(held)
    }

    /// Every write to the client goes through here, so a flush knows whether it has
    /// anything to do.
    func writeToClient(_ buffer: ByteBuffer) {
        self.hasUnflushedWrites = true
        self.context.write(self.wrapOutboundOut(buffer), promise: nil)
    }

    /// What a read cycle on either side ends with: the response written in it is flushed
    /// with the loop's other flushes of this tick (`EndOfTickFlushes`). Most read cycles
    /// have nothing to send, and skipping those saves the queue and a walk through the
    /// pipeline to the socket.
    func flushResponseAtEndOfTick() {
        if self.hasUnflushedWrites || self.heldResponse != nil { self.pool.flushes.flushAtEndOfTick(self) }
    }

    func flushAtEndOfTick() {
        // A connection closed since it was queued has nothing left to send.
        guard self.context != nil else { return }
        self.flushResponse()
    }

    /// Flushes what was written to the client, a held head included.
    func flushResponse() {
        self.releaseHeldResponse()
        guard self.hasUnflushedWrites else { return }
        self.hasUnflushedWrites = false
        self.context.flush()
    }


    /// `trailers`: the upstream's trailer fields, sent in the last chunk to clients that
    /// accept them (`TE: trailers`) and otherwise dropped.
    func endResponse(framing: ResponseFraming, trailers: HTTPHeaders? = nil, _ exchange: ProxyExchange) {
        if framing == .chunked {
            if let trailers,
                let last = TrailerFields.lastChunk(
                    with: trailers, request: exchange.session.request, allocator: self.allocator
                )
            {
                self.releaseHeldResponse()
                self.writeToClient(last)
            } else if self.heldResponse != nil {
                self.heldResponse!.writeImmutableBuffer(ResponseHeadWriter.emptyLastChunk)
            } else {
                self.writeToClient(ResponseHeadWriter.emptyLastChunk)
            }
        }
        self.flushResponseAtEndOfTick()
        exchange.response = .complete
        if exchange.requestComplete || exchange.closeAfterResponse {
            self.finishExchange(exchange)
        }
    }

    /// Sends a complete response produced by Pylon itself (after `responseFilter`).
    func respondLocally(_ response: ProxyResponse, _ exchange: ProxyExchange) {
        var head = ResponseHead(version: .http1_1, status: response.status, headers: response.headers)
        try? exchange.responseFilter(&head)
        let framing = ResponseFraming.decide(
            status: head.status,
            requestMethod: exchange.session.request.method,
            clientVersion: exchange.session.request.version,
            contentLength: response.body.readableBytes
        )
        self.writeHead(head, framing: framing, exchange)
        if response.body.readableBytes > 0 { self.writeBody(response.body, framing: framing, exchange) }
        self.endResponse(framing: framing, exchange)
    }

    /// A failure before the response started: the error page from `failToProxy`.
    func fail(_ exchange: ProxyExchange, _ error: ProxyError) {
        exchange.error = error
        // Whatever the upstream still sends belongs to a request that is over: a connection
        // left attached would answer the next request on this connection with it, or time
        // out into it.
        exchange.abandonUpstream()
        if case .badRequest = error.kind {} else {
            if exchange.session.peer == nil || error.kind == .phase {
                self.logger.error("request failed", metadata: ["error": "\(error)"])
            }
        }
        if exchange.responseStarted {
            self.finishWithBrokenConnection(exchange)
            return
        }
        self.answerWithoutUpstream(exchange.failToProxy(error: error), exchange)
    }

    // MARK: Ending requests and connections

    func finishExchange(_ exchange: ProxyExchange) {
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
    /// honest signal left; a kept-alive connection must never carry a short body. What of
    /// it was written goes out first: its flush may still wait for the end of the tick.
    func finishWithBrokenConnection(_ exchange: ProxyExchange) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        self.closing = true
        self.log(exchange, error: exchange.error)
        self.flushResponse()
        self.context.close(promise: nil)
    }

    /// Ends the exchange because the client went away or stopped mid-request.
    func abortExchange(_ error: ProxyError) {
        guard let exchange = self.exchange else { return }
        exchange.error = error
        exchange.abandonUpstream()
        self.finishWithBrokenConnection(exchange)
    }

    func log(_ exchange: ProxyExchange, error: ProxyError?) {
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

    /// Half-closes (FIN, never RST) and reads and drops what the client still sends for a
    /// short linger, so a response already written is not destroyed by a reset.
    func closeGracefully() {
        guard !self.closing else { return }
        self.closing = true
        self.wait = nil
        let channel = self.context.channel
        self.releaseHeldResponse()
        self.hasUnflushedWrites = false
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
}
