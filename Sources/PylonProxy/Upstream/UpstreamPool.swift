import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Idle upstream connections of one event loop, by peer address, plus the connect
/// that makes new ones. Confined to its event loop: client connections of that loop
/// only ever use upstream connections of the same loop, so no request hops threads.
///
/// Its stored properties skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`):
/// it lives on one event loop and is only touched there, in code that never holds one of
/// them across a call back into the same object. The checks cost a thread-local lookup
/// per access, about 180 per proxied request across the request path's objects.
final class UpstreamPool {
    let eventLoop: any EventLoop
    /// A reference per peer, so the hot path only ever reads the dictionary: editing a
    /// value in place goes through a modify coroutine that allocates its frame.
    @exclusivity(unchecked) private var idle: [UpstreamPoolKey: IdleConnections] = [:]
    /// The entry of `idle` found last: most requests of a loop go to the peer the one before
    /// went to, whose key is the very object looked up last. Entries are never removed.
    /// The key is held, so its identity cannot pass to another key while it is compared.
    @exclusivity(unchecked) private var lastFoundKey: UpstreamPoolKey?
    @exclusivity(unchecked) private var lastFoundKeyID: ObjectIdentifier?
    @exclusivity(unchecked) private var lastFoundConnections: IdleConnections?
    /// Streams on shared connections for HTTP/2 peers (whose keys never reach `idle`).
    private let http2: HTTP2UpstreamPool
    /// Buffers for the heads this loop's connections write, both directions.
    let headBuffers = HeadBufferCache()
    /// The loop's HTTP/1.1 flushes, client and upstream sides, made at the end of its tick.
    let flushes: EndOfTickFlushes

    /// `logger`: for what happens to HTTP/2 connections outside any one request.
    init(eventLoop: any EventLoop, logger: Logger) {
        self.eventLoop = eventLoop
        self.flushes = EndOfTickFlushes(eventLoop: eventLoop)
        self.http2 = HTTP2UpstreamPool(eventLoop: eventLoop, logger: logger)
    }

    /// The most recently used idle connection to `peer`, if one is still open.
    func take(_ peer: HTTPPeer) -> UpstreamConnection? {
        guard let idle = self.idleConnections(for: peer.poolKey) else { return nil }
        while let connection = idle.connections.popLast() {
            connection.idleDeadline = nil
            // `.reusable` implies open: closing, or the channel going inactive, sets `.closed`
            // (asking the channel would cost a walk through NIO's lifecycle state).
            if connection.state == .reusable {
                return connection
            }
        }
        return nil
    }

    /// Takes back a connection whose response was read completely.
    func giveBack(_ connection: UpstreamConnection) {
        guard connection.state == .reusable else {
            connection.close()
            return
        }
        let idle: IdleConnections
        if let existing = self.idleConnections(for: connection.poolKey) {
            idle = existing
        } else {
            idle = IdleConnections()
            self.idle[connection.poolKey] = idle
        }
        let kept = idle.connections.count
        let maxIdle = connection.maxIdleConnections
        guard maxIdle > 0, kept < maxIdle * Self.overflowFactor else {
            connection.close()
            return
        }
        idle.connections.append(connection)
        // Past `maxIdle`, kept only briefly: long enough for the next requests of a burst,
        // not long enough to hoard connections once it is over.
        let keepFor = kept < maxIdle ? connection.idleTimeout : min(connection.idleTimeout, Self.overflowIdleTimeout)
        let deadline = NIODeadline.now() + keepFor
        connection.idleDeadline = deadline
        if connection.idleTimer != nil, let firesAt = connection.idleTimerFiresAt, firesAt <= deadline { return }
        self.scheduleIdleExpiry(connection, at: deadline)
    }

    private func idleConnections(for key: UpstreamPoolKey) -> IdleConnections? {
        if ObjectIdentifier(key) == self.lastFoundKeyID { return self.lastFoundConnections }
        guard let found = self.idle[key] else { return nil }
        self.lastFoundKey = key
        self.lastFoundKeyID = ObjectIdentifier(key)
        self.lastFoundConnections = found
        return found
    }

    /// How long a connection given back beyond a peer's `maxIdleConnections` stays pooled.
    /// Many requests to one peer at once (an HTTP/2 client's streams, a burst of clients)
    /// would otherwise close most connections after their response and open new ones for
    /// the next requests: a connect per request while the burst lasts.
    static let overflowIdleTimeout: TimeAmount = .seconds(2)
    /// Idle connections per peer and loop stop at this many times `maxIdleConnections`.
    static let overflowFactor = 16

    /// One timer per connection, left running while the connection goes in and out of
    /// the pool: it re-checks the deadline when it fires instead of being cancelled and
    /// rescheduled on every request. Moved only when a deadline comes earlier than it.
    private func scheduleIdleExpiry(_ connection: UpstreamConnection, at deadline: NIODeadline) {
        connection.idleTimer?.cancel()
        connection.idleTimerFiresAt = deadline
        connection.idleTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            connection.idleTimer = nil
            connection.idleTimerFiresAt = nil
            guard let deadline = connection.idleDeadline else { return }  // in use again
            if deadline <= .now() {
                self.remove(connection)
                connection.close()
            } else {
                self.scheduleIdleExpiry(connection, at: deadline)
            }
        }
    }

    /// Drops a connection from the pool once it closes, whoever closed it.
    private func watchClose(_ connection: UpstreamConnection, channel: any Channel) {
        channel.closeFuture.assumeIsolated().whenComplete { [self] _ in
            connection.idleTimer?.cancel()
            connection.idleTimer = nil
            self.remove(connection)
        }
    }

    /// Takes a fresh connection nobody used after all (its request went away while connecting).
    func giveBackUnused(_ connection: UpstreamConnection) {
        // An unused HTTP/2 stream is just closed: its connection is what is shared.
        guard connection.poolKey.httpVersion == .http1_1 else { return connection.close() }
        connection.markUnused()
        self.giveBack(connection)
    }

    private func remove(_ connection: UpstreamConnection) {
        connection.idleDeadline = nil
        guard let idle = self.idle[connection.poolKey],
            let index = idle.connections.firstIndex(where: { $0 === connection })
        else { return }
        idle.connections.remove(at: index)
    }

    /// Opens a new connection to `peer` on this event loop; for a TLS peer, completes once
    /// the handshake is done (the connect timeout covers both). For an HTTP/2 peer: a new
    /// stream on a connection shared with other requests (see `HTTP2UpstreamPool`).
    func connect(_ peer: HTTPPeer, completion: @escaping (Result<UpstreamConnection, ProxyError>) -> Void) {
        if peer.httpVersion == .http2 { return self.http2.openStream(peer, completion: completion) }
        let deadline = NIODeadline.now() + peer.connectTimeout
        let headBuffers = NIOLoopBound(self.headBuffers, eventLoop: self.eventLoop)
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(peer.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls = peer.tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls.context.sslContext, serverHostname: tls.serverName))
                        try sync.addHandler(UpstreamTLSHandshakeHandler(peer: peer, deadline: deadline, eventLoop: channel.eventLoop))
                    }
                    try sync.addHandler(UpstreamConnection(peer: peer, headBuffers: headBuffers.value))
                }
            }
            .connect(to: peer.address)
            .assumeIsolated()
            .flatMap { channel in
                guard peer.tls != nil else { return channel.eventLoop.makeSucceededFuture(channel) }
                do {
                    let handshake = try channel.pipeline.syncOperations.handler(type: UpstreamTLSHandshakeHandler.self)
                    return handshake.handshakeDone.map { _ in channel }
                } catch {
                    // Already removed: the handshake finished before the connect was reported.
                    return channel.eventLoop.makeSucceededFuture(channel)
                }
            }
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    do {
                        let connection = try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
                        self.watchClose(connection, channel: channel)
                        completion(.success(connection))
                    } catch {
                        channel.close(promise: nil)
                        completion(.failure(ProxyError(.connectFailed, "\(peer): \(error)")))
                    }
                case .failure(let error):
                    completion(.failure(Self.connectError(error, peer: peer)))
                }
            }
    }

    static func connectError(_ error: any Error, peer: HTTPPeer) -> ProxyError {
        if let error = error as? ProxyError { return error }
        if case ChannelError.connectTimeout = error {
            return ProxyError(.connectTimeout, "connect to \(peer) timed out after \(peer.connectTimeout)")
        }
        return ProxyError(.connectFailed, "connect to \(peer) failed: \(error)")
    }
}

/// The idle connections to one peer, most recently used last.
private final class IdleConnections {
    @exclusivity(unchecked) var connections: [UpstreamConnection] = []
}
