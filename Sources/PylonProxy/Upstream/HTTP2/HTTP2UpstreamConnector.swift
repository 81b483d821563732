import Logging
import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL

/// Opens an HTTP/2 connection to a peer: TCP; for a TLS peer the handshake, whose ALPN
/// must choose `h2`; the connection preface; and the upstream's first SETTINGS, all within
/// the peer's connect timeout. Over plain TCP it is h2c with prior knowledge: the preface
/// goes first, no Upgrade dance.
enum HTTP2UpstreamConnector {
    static func connect(
        _ peer: HTTPPeer, on eventLoop: any EventLoop, logger: Logger,
        completion: @escaping (Result<HTTP2UpstreamConnection, ProxyError>) -> Void
    ) {
        let deadline = NIODeadline.now() + peer.connectTimeout
        // What ALPN chose, once the handshake is done (TLS peers only).
        let negotiated = eventLoop.makePromise(of: String?.self)
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(peer.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let tls = peer.tls else { return }
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLClientHandler(context: tls.context.sslContext, serverHostname: tls.serverName))
                    let handshake = UpstreamTLSHandshakeHandler(peer: peer, deadline: deadline, eventLoop: channel.eventLoop)
                    handshake.handshakeDone.cascade(to: negotiated)
                    try sync.addHandler(handshake)
                }
            }
            .connect(to: peer.address)
        connected.whenFailure { negotiated.fail($0) }
        if peer.tls == nil { negotiated.succeed(nil) }
        connected.assumeIsolated().whenComplete { result in
            guard case .success(let channel) = result else {
                if case .failure(let error) = result { completion(.failure(UpstreamPool.connectError(error, peer: peer))) }
                return
            }
            func fail(_ error: any Error) {
                channel.close(promise: nil)
                completion(.failure(UpstreamPool.connectError(error, peer: peer)))
            }
            negotiated.futureResult.assumeIsolated().whenComplete { agreed in
                let connection: HTTP2UpstreamConnection
                do {
                    let protocolName = try agreed.get()
                    guard peer.tls == nil || protocolName == "h2" else {
                        throw ProxyError(
                            .upstreamProtocol,
                            "upstream \(peer) did not agree to HTTP/2: ALPN chose \(protocolName ?? "no protocol") instead of h2"
                        )
                    }
                    connection = try Self.install(on: channel, peer: peer, logger: logger)
                } catch {
                    return fail(error)
                }
                connection.ready(by: deadline).assumeIsolated().whenComplete { ready in
                    switch ready {
                    case .success: completion(.success(connection))
                    case .failure(let error): fail(error)
                    }
                }
            }
        }
    }

    /// nio-http2's frame handler (which sends the preface at once) and the connection's own
    /// handler behind it.
    private static func install(on channel: any Channel, peer: HTTPPeer, logger: Logger) throws -> HTTP2UpstreamConnection {
        let http2 = NIOHTTP2Handler(
            mode: .client,
            eventLoop: channel.eventLoop,
            connectionConfiguration: HTTP2UpstreamLimits.connection(),
            streamConfiguration: HTTP2UpstreamLimits.stream()
        ) { stream in
            // Streams the upstream opens: none can arrive with push disabled; close any that do.
            stream.close()
        }
        let sync = channel.pipeline.syncOperations
        let marker = HTTP2UpstreamReadMarker()
        try sync.addHandler(marker)
        try sync.addHandler(http2)
        let connection = HTTP2UpstreamConnection(
            peer: peer, multiplexer: try http2.syncMultiplexer(), eventLoop: channel.eventLoop, logger: logger
        )
        marker.connection = connection
        try sync.addHandler(connection)
        return connection
    }
}
