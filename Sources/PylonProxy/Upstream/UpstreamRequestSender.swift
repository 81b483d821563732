import Logging
import NIOCore
import NIOHTTP1

/// A client-side handler that sends its current exchange's request upstream: an HTTP/1.1
/// client connection or an HTTP/2 client stream. Choosing the peer, taking a pooled
/// connection or opening one, retrying a failed connect and handing the request over are
/// the same for both; only how each reads its client and answers it differ.
protocol UpstreamRequestSender: UpstreamResponseSink {
    /// The server's forwarding settings (asked for them alone: a protocol getter hands back
    /// a copy, and copying the whole configuration per request costs a retain per field).
    var forwarding: ProxyServerConfiguration.Forwarding { get }
    var pool: UpstreamPool { get }
    var logger: Logger { get }
    var exchange: ProxyExchange? { get }
    /// Between a read and its read-complete: writes upstream wait for the flush that
    /// read-complete asks for.
    var inReadCycle: Bool { get }
    /// Whether the client side takes response bytes now; reads upstream wait while not.
    var clientIsWritable: Bool { get }

    /// Answers the client with the error (or breaks the connection if the response started).
    func fail(_ exchange: ProxyExchange, _ error: ProxyError)
    /// Reads the client's request body again, if it was held back.
    func resumeReading()
}

extension UpstreamRequestSender {
    /// Connect attempts per request, retries included, whatever `failToConnect` says.
    static var maxConnectAttempts: Int { 8 }

    /// What a read cycle of the client ends with: the request written upstream in it is
    /// flushed with the loop's other flushes of this tick (`EndOfTickFlushes`).
    func flushUpstreamAtEndOfTick() {
        if let upstream = self.exchange?.upstreamConnection, upstream.hasUnflushedWrites {
            self.pool.flushes.flushAtEndOfTick(upstream)
        }
    }

    func connectUpstream(_ exchange: ProxyExchange) {
        let peer: HTTPPeer
        do {
            peer = try exchange.upstreamPeer()
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
            // The client (or its stream) may have gone, or the request failed, while connecting.
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
                    exchange.failToConnect(peer: peer, error: error)
                {
                    self.connectUpstream(exchange)
                } else {
                    self.fail(exchange, error)
                }
            }
        }
    }

    func attach(_ connection: UpstreamConnection, peer: HTTPPeer, _ exchange: ProxyExchange) {
        var head = UpstreamRequestHead.make(
            for: exchange.session, framing: exchange.requestFraming, forwarding: self.forwarding,
            upstreamVersion: peer.httpVersion
        )
        do {
            try exchange.upstreamRequestFilter(&head)
        } catch {
            self.pool.giveBackUnused(connection)
            return self.fail(exchange, ProxyError(.phase, "upstream request filter: \(error)"))
        }
        exchange.upstream = .attached(connection)
        connection.begin(sink: self, readTimeout: peer.readTimeout)
        connection.setReadPaused(!self.clientIsWritable)
        connection.writeHead(head)
        for piece in exchange.queuedBody {
            connection.write(.body(.byteBuffer(piece)))
        }
        exchange.queuedBody = []
        exchange.queuedBodyBytes = 0
        if exchange.requestComplete {
            connection.write(.end(exchange.requestTrailers))
        }
        if !self.inReadCycle { connection.flush() }
        self.resumeReading()
    }
}
