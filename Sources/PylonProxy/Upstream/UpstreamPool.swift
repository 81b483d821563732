import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Idle upstream connections of one event loop, by peer address, plus the connect
/// that makes new ones. Confined to its event loop: client connections of that loop
/// only ever use upstream connections of the same loop, so no request hops threads.
final class UpstreamPool {
    let eventLoop: any EventLoop
    private var idle: [UpstreamPoolKey: [UpstreamConnection]] = [:]
    /// Streams on shared connections for HTTP/2 peers (whose keys never reach `idle`).
    private let http2: HTTP2UpstreamPool

    /// `logger`: for what happens to HTTP/2 connections outside any one request.
    init(eventLoop: any EventLoop, logger: Logger) {
        self.eventLoop = eventLoop
        self.http2 = HTTP2UpstreamPool(eventLoop: eventLoop, logger: logger)
    }

    /// The most recently used idle connection to `peer`, if one is still open.
    func take(_ peer: HTTPPeer) -> UpstreamConnection? {
        // Mutated in place: copying the list out of the dictionary and back would copy
        // the whole array on every request.
        while let connection = self.idle[peer.poolKey]?.popLast() {
            connection.idleDeadline = nil
            if connection.state == .reusable, connection.channel?.isActive == true {
                return connection
            }
        }
        return nil
    }

    /// Takes back a connection whose response was read completely.
    func giveBack(_ connection: UpstreamConnection) {
        guard connection.state == .reusable, connection.channel?.isActive == true else {
            connection.close()
            return
        }
        // One lookup for the check and the append, the list edited in place.
        let pooled = Self.append(connection, to: &self.idle[connection.poolKey, default: []])
        guard pooled else {
            connection.close()
            return
        }
        let deadline = NIODeadline.now() + connection.idleTimeout
        connection.idleDeadline = deadline
        if connection.idleTimer == nil { self.scheduleIdleExpiry(connection, at: deadline) }
    }

    /// Appends `connection` to `list` unless the peer's idle limit is reached.
    private static func append(_ connection: UpstreamConnection, to list: inout [UpstreamConnection]) -> Bool {
        guard list.count < connection.maxIdleConnections else { return false }
        list.append(connection)
        return true
    }

    /// One timer per connection, left running while the connection goes in and out of
    /// the pool: it re-checks the deadline when it fires instead of being cancelled and
    /// rescheduled on every request.
    private func scheduleIdleExpiry(_ connection: UpstreamConnection, at deadline: NIODeadline) {
        connection.idleTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            connection.idleTimer = nil
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
        guard let index = self.idle[connection.poolKey]?.firstIndex(where: { $0 === connection }) else { return }
        self.idle[connection.poolKey]?.remove(at: index)
    }

    /// Opens a new connection to `peer` on this event loop; for a TLS peer, completes once
    /// the handshake is done (the connect timeout covers both). For an HTTP/2 peer: a new
    /// stream on a connection shared with other requests (see `HTTP2UpstreamPool`).
    func connect(_ peer: HTTPPeer, completion: @escaping (Result<UpstreamConnection, ProxyError>) -> Void) {
        if peer.httpVersion == .http2 { return self.http2.openStream(peer, completion: completion) }
        let deadline = NIODeadline.now() + peer.connectTimeout
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
                    try sync.addHandler(UpstreamConnection(peer: peer))
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
