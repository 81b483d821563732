public import Logging
public import NIOCore
import NIOPosix
import NIOSSL

/// Serves a `ProxyHTTP` implementation on a set of listeners, and drains gracefully.
///
/// This is the entry point a worker process calls with the listener descriptors it
/// was handed; it knows nothing about processes itself.
public final class ProxyServer<Proxy: ProxyHTTP>: Sendable {
    private let phases: ProxyPhases
    private let configuration: ProxyServerConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let pools: EventLoopPools
    private let connections = ConnectionTracker()
    private let serverChannels = ListeningChannels()

    public init(proxy: Proxy, configuration: ProxyServerConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.phases = ProxyPhases(proxy)
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.pools = EventLoopPools(group: group, logger: logger)
    }

    /// Open client connections right now.
    public var connectionCount: Int { self.connections.count }

    /// Starts accepting on `listeners`; returns the local address of each, in order.
    @discardableResult
    public func start(listeners: [ProxyListener]) async throws -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for listener in listeners {
            let channel = try await self.bootstrap(listener)
            self.serverChannels.append(channel)
            addresses.append(channel.localAddress!)
            self.logger.info(
                "listening",
                metadata: [
                    "listener": "\(listener.name)", "address": "\(channel.localAddress?.ipAddressAndPort ?? "?")",
                    "scheme": "\(listener.scheme)",
                ]
            )
        }
        return addresses
    }

    private func bootstrap(_ listener: ProxyListener) async throws -> any Channel {
        let phases = self.phases
        let configuration = self.configuration
        let pools = self.pools
        let connections = self.connections
        let logger = self.logger
        // Built here, once per listener, before anything is accepted: every certificate and
        // key is in memory by the time a handshake needs it.
        // A fast stop closes every connection at once; a client that never answers close_notify
        // must not hold it past a second.
        let closeNotifyTimeout = min(configuration.lingerTimeout, .seconds(1))
        let tlsContext = try listener.tls.map {
            try TLSServerContext($0, closeNotifyTimeout: closeNotifyTimeout, offerHTTP2: listener.http2.enabled, logger: logger)
        }
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    let sync = channel.pipeline.syncOperations
                    // The PROXY header comes in clear, before any TLS record.
                    if let policy = listener.proxyProtocol {
                        try sync.addHandler(
                            ProxyProtocolHandler(policy: policy, timeout: configuration.headerTimeout, logger: logger)
                        )
                    }
                    let makeHTTPHandler = {
                        HTTP1ProxyConnection(
                            phases: phases,
                            configuration: configuration,
                            pool: pools.pool(for: channel.eventLoop),
                            listenerName: listener.name,
                            scheme: listener.scheme,
                            logger: logger
                        )
                    }
                    guard let tlsContext else {
                        try sync.addHandler(makeHTTPHandler())
                        return
                    }
                    try sync.addHandler(NIOSSLServerHandler(context: tlsContext.sslContext))
                    try sync.addHandler(
                        TLSServerHandshakeHandler(timeout: configuration.headerTimeout, logger: logger) { context, protocolName in
                            guard protocolName == "h2" else {
                                // http/1.1, or a client that did not use ALPN.
                                try context.pipeline.syncOperations.addHandler(makeHTTPHandler())
                                return
                            }
                            try HTTP2ConnectionPipeline.install(
                                on: context.channel,
                                phases: phases,
                                configuration: configuration,
                                http2: listener.http2,
                                pool: pools.pool(for: channel.eventLoop),
                                listenerName: listener.name,
                                logger: logger
                            )
                        }
                    )
                }
            }
        switch listener.socket {
        case .bind(let address):
            return try await bootstrap.bind(to: address).get()
        case .adopt(let descriptor):
            return try await bootstrap.withBoundSocket(descriptor).get()
        }
    }

    /// Stops accepting, lets every connection finish its request in flight (answered
    /// with `Connection: close`), keeps idle ones open for `closeIdleAfter` so a request
    /// already on its way is still answered, and force-closes what is left at `deadline`.
    /// HTTP/2 connections get a two-phase GOAWAY instead and close with their last stream.
    public func drain(closeIdleAfter: TimeAmount, deadline: TimeAmount) async {
        await self.stopAccepting()
        let event = ProxyDrainEvent(closeIdleAfter: closeIdleAfter)
        for channel in self.connections.channels {
            channel.pipeline.fireUserInboundEventTriggered(event)
        }
        let forceClose = self.group.next().scheduleTask(in: deadline) { [connections, logger] in
            let left = connections.channels
            if !left.isEmpty { logger.warning("drain deadline reached", metadata: ["closing": "\(left.count)"]) }
            for channel in left { channel.close(promise: nil) }
        }
        await self.connections.waitUntilEmpty()
        forceClose.cancel()
    }

    /// Closes the listeners; open connections are untouched.
    public func stopAccepting() async {
        for channel in self.serverChannels.takeAll() {
            try? await channel.close()
        }
    }

    /// Fast stop: closes listeners and every connection now.
    public func stop() async {
        await self.stopAccepting()
        for channel in self.connections.channels { channel.close(promise: nil) }
        await self.connections.waitUntilEmpty()
    }
}
