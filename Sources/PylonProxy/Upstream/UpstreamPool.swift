import NIOCore
import NIOHTTP1
import NIOPosix

/// Idle upstream connections of one event loop, by peer address, plus the connect
/// that makes new ones. Confined to its event loop: client connections of that loop
/// only ever use upstream connections of the same loop, so no request hops threads.
final class UpstreamPool {
    private struct IdleConnection {
        let connection: UpstreamConnection
        let expiry: Scheduled<Void>
    }

    let eventLoop: any EventLoop
    private var idle: [SocketAddress: [IdleConnection]] = [:]

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The most recently used idle connection to `peer`, if one is still open.
    func take(_ peer: HTTPPeer) -> UpstreamConnection? {
        while var list = self.idle[peer.poolKey], let entry = list.popLast() {
            self.idle[peer.poolKey] = list
            entry.expiry.cancel()
            if entry.connection.state == .reusable, entry.connection.channel?.isActive == true {
                return entry.connection
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
        let key = connection.peerAddress
        var list = self.idle[key] ?? []
        if list.count >= connection.maxIdleConnections {
            connection.close()
            return
        }
        let expiry = self.eventLoop.assumeIsolated().scheduleTask(in: connection.idleTimeout) { [self] in
            self.remove(connection)
            connection.close()
        }
        list.append(IdleConnection(connection: connection, expiry: expiry))
        self.idle[key] = list
        // An idle connection the upstream closes is dropped from the pool right away.
        connection.channel?.closeFuture.assumeIsolated().whenComplete { [self] _ in
            self.remove(connection)
        }
    }

    /// Takes a fresh connection nobody used after all (its request went away while connecting).
    func giveBackUnused(_ connection: UpstreamConnection) {
        connection.markUnused()
        self.giveBack(connection)
    }

    private func remove(_ connection: UpstreamConnection) {
        guard var list = self.idle[connection.peerAddress],
            let index = list.firstIndex(where: { $0.connection === connection })
        else { return }
        list[index].expiry.cancel()
        list.remove(at: index)
        self.idle[connection.peerAddress] = list
    }

    /// Opens a new connection to `peer` on this event loop.
    func connect(_ peer: HTTPPeer, completion: @escaping (Result<UpstreamConnection, ProxyError>) -> Void) {
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(peer.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    var encoderConfiguration = HTTPRequestEncoder.Configuration()
                    // The proxy sets Content-Length / Transfer-Encoding itself, as it frames the body.
                    encoderConfiguration.automaticallySetFramingHeaders = false
                    try sync.addHandler(HTTPRequestEncoder(configuration: encoderConfiguration))
                    try sync.addHandler(
                        ByteToMessageHandler(
                            HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .forward)
                        )
                    )
                    try sync.addHandler(UpstreamConnection(peer: peer))
                }
            }
            .connect(to: peer.address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    do {
                        completion(.success(try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)))
                    } catch {
                        channel.close(promise: nil)
                        completion(.failure(ProxyError(.connectFailed, "\(peer): \(error)")))
                    }
                case .failure(let error):
                    completion(.failure(Self.connectError(error, peer: peer)))
                }
            }
    }

    private static func connectError(_ error: any Error, peer: HTTPPeer) -> ProxyError {
        if case ChannelError.connectTimeout = error {
            return ProxyError(.connectTimeout, "connect to \(peer) timed out after \(peer.connectTimeout)")
        }
        return ProxyError(.connectFailed, "connect to \(peer) failed: \(error)")
    }
}
