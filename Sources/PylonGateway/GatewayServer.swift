public import Logging
public import NIOCore
import NIOPosix
public import PylonProxy

/// Everything one serving process runs for a config: the gateway on its listeners, the
/// metrics endpoint on its own, and the health checker (which probes only while this
/// process holds the service's lease).
public final class GatewayServer: Sendable {
    public let config: GatewayConfig
    public let metrics: GatewayMetrics
    /// The memory this process shares with every other worker of the service.
    public let sharedMemory: SharedMemorySegment
    private let proxyServer: ProxyServer<Gateway>
    private let metricsServer: ProxyServer<MetricsEndpoint>?
    /// Serves the `redirect_to_https` listeners, if any.
    private let redirectServer: ProxyServer<HTTPSRedirect>?
    private let accessLogWriter: BackgroundOutputWriter?
    private let healthChecker: HealthChecker?
    private let goneWorkerSweep: GoneWorkerSweep
    private let logger: Logger

    /// Builds the servers (resolving upstream names); nothing listens until `start`.
    /// `sharedMemory` is the segment from the master; a single process passes an
    /// anonymous one (`SharedMemorySegment.anonymous()`). `generation` is the worker's
    /// generation under a master (0 in a single process): a newer generation takes the
    /// health checks over from an older one.
    public init(
        config: GatewayConfig, sharedMemory: SharedMemorySegment, generation: Int = 0, group: any EventLoopGroup,
        logger: Logger
    ) throws {
        self.config = config
        self.sharedMemory = sharedMemory
        self.logger = logger
        let metrics = GatewayMetrics(sharedMemory: sharedMemory)
        self.metrics = metrics
        let writer = config.accessLog.enabled ? BackgroundOutputWriter() : nil
        self.accessLogWriter = writer
        let accessLog = writer.map { AccessLog(format: config.accessLog.format, writer: $0) }
        let gateway = try Gateway(
            config: config, sharedMemory: sharedMemory, metrics: metrics, accessLog: accessLog, generation: generation,
            logger: logger
        )
        self.goneWorkerSweep = GoneWorkerSweep(table: gateway.healthTable, loop: group.next(), logger: logger)
        self.healthChecker = HealthChecker(
            upstreams: gateway.upstreams, table: gateway.healthTable, generation: generation, group: group, logger: logger
        )
        self.proxyServer = ProxyServer(
            proxy: gateway,
            configuration: ProxyServerConfiguration(config),
            group: group,
            logger: logger
        )
        var redirectPorts: [String: Int] = [:]
        for listener in config.listeners {
            if let port = listener.redirectToHTTPSPort { redirectPorts[listener.name] = port }
        }
        self.redirectServer = redirectPorts.isEmpty ? nil : ProxyServer(
            proxy: HTTPSRedirect(
                httpsPortByListener: redirectPorts, accessLog: accessLog, clientAddresses: gateway.clientAddresses,
                requestIDs: gateway.requestIDs, metrics: HTTPSRedirect.metrics(in: metrics)
            ),
            configuration: ProxyServerConfiguration(config),
            group: group,
            logger: logger
        )
        for upstream in config.upstreams where upstream.tls?.verify == false {
            logger.warning(
                "TLS certificate verification is off for this upstream: anyone on the path can impersonate it",
                metadata: ["upstream": "\(upstream.name)"]
            )
        }
        self.metricsServer = config.metrics.map { metricsConfig in
            var configuration = ProxyServerConfiguration()
            configuration.maxRequestBody = 0
            return ProxyServer(
                proxy: MetricsEndpoint(
                    metrics: metrics, path: metricsConfig.path, targetHealth: TargetHealthGauges(upstreams: gateway.upstreams),
                    targetInFlight: TargetInFlightGauges(upstreams: gateway.upstreams)
                ),
                configuration: configuration,
                group: group,
                logger: logger
            )
        }
    }

    /// Starts serving. `inherited` maps listener names to already-listening descriptors
    /// (from a supervisor or systemd), and `inheritedMetrics` is the metrics listener's;
    /// the others are bound here. Returns the bound addresses by listener name (and
    /// `metrics` for the metrics listener).
    @discardableResult
    public func start(inherited: [String: CInt] = [:], inheritedMetrics: CInt? = nil) async throws -> [String: SocketAddress] {
        var result: [String: SocketAddress] = [:]
        let trustedProxies = TrustedProxies(self.config.trustedProxies)
        // Tickets open on every worker, and after an upgrade: the secret is the segment's.
        let ticketKeys = TLSSessionTicketKeys(secret: self.sharedMemory.sessionTicketSecret())
        var listeners: [ProxyListener] = []
        var redirectListeners: [ProxyListener] = []
        for listener in self.config.listeners {
            let socket: ProxyListener.Socket
            if let descriptor = inherited[listener.name] {
                socket = .adopt(fileDescriptor: descriptor)
            } else {
                socket = .bind(try listener.address.socketAddress())
            }
            let proxyProtocol = listener.proxyProtocol ? ProxyProtocolPolicy { trustedProxies.contains($0) } : nil
            let proxyListener = ProxyListener(
                name: listener.name, socket: socket,
                tls: listener.tls.map { TLSListenerConfiguration($0, sessionTicketKeys: ticketKeys) },
                proxyProtocol: proxyProtocol, http2: HTTP2ServerConfiguration(listener.http2)
            )
            if listener.redirectToHTTPSPort != nil {
                redirectListeners.append(proxyListener)
            } else {
                listeners.append(proxyListener)
            }
        }
        let addresses = try await self.proxyServer.start(listeners: listeners)
        for (listener, address) in zip(listeners, addresses) { result[listener.name] = address }
        if let redirectServer = self.redirectServer {
            let redirectAddresses = try await redirectServer.start(listeners: redirectListeners)
            for (listener, address) in zip(redirectListeners, redirectAddresses) { result[listener.name] = address }
        }
        if let metricsServer = self.metricsServer, let metricsConfig = self.config.metrics {
            let socket: ProxyListener.Socket
            if let inheritedMetrics {
                socket = .adopt(fileDescriptor: inheritedMetrics)
            } else {
                socket = .bind(try metricsConfig.address.socketAddress())
            }
            let metricsListener = ProxyListener(name: "metrics", socket: socket)
            result["metrics"] = try await metricsServer.start(listeners: [metricsListener]).first
        }
        self.healthChecker?.start()
        self.goneWorkerSweep.start()
        return result
    }

    /// How long a draining, idle keep-alive connection is kept for a request already on
    /// its way before it is half-closed: long enough for any client in mid-send, short
    /// enough that idle clients do not hold a drain for its whole deadline.
    static let drainIdleGrace: TimeAmount = .seconds(5)

    /// Graceful drain within `deadline`: see `ProxyServer.drain`.
    public func drain(deadline: TimeAmount) async {
        let closeIdleAfter = min(deadline, Self.drainIdleGrace)
        await self.healthChecker?.stop()
        self.goneWorkerSweep.stop()
        async let gatewayDrained: Void = self.proxyServer.drain(closeIdleAfter: closeIdleAfter, deadline: deadline)
        async let redirectsDrained: Void? = self.redirectServer?.drain(closeIdleAfter: closeIdleAfter, deadline: deadline)
        // A scrape this worker already accepted is answered too: its metrics are the whole
        // service's, as good as any other worker's.
        await self.metricsServer?.drain(closeIdleAfter: closeIdleAfter, deadline: deadline)
        await gatewayDrained
        await redirectsDrained
        self.accessLogWriter?.shutdown()
    }

    /// Fast stop.
    public func stop() async {
        await self.healthChecker?.stop()
        self.goneWorkerSweep.stop()
        await self.proxyServer.stop()
        await self.redirectServer?.stop()
        await self.metricsServer?.stop()
        self.accessLogWriter?.shutdown()
    }
}

extension HostAndPort {
    /// The socket address to bind (host names are resolved by the system resolver).
    func socketAddress() throws -> SocketAddress {
        try SocketAddress.makeAddressResolvingHost(self.host, port: self.port)
    }
}

extension ProxyServerConfiguration {
    /// The proxy settings a gateway config asks for.
    public init(_ config: GatewayConfig) {
        self.init()
        self.parserLimits = HTTP1RequestParser.Limits(
            maxRequestLine: config.limits.maxRequestLine,
            maxHeaderBytes: config.limits.maxHeaderBytes
        )
        self.maxRequestBody = config.limits.maxBody
        self.headerTimeout = TimeAmount(config.limits.headerTimeout)
        self.idleTimeout = TimeAmount(config.limits.idleTimeout)
        self.bodyTimeout = TimeAmount(config.limits.bodyTimeout)
        self.maxRequestsPerConnection = config.limits.keepaliveRequests
        self.maxKeepAliveTime = config.limits.keepaliveTime.map { TimeAmount($0) }
        self.forwarding.xForwardedFor = config.forwarding.xForwardedFor
        self.forwarding.xForwardedProto = config.forwarding.xForwardedProto
        self.forwarding.via = config.forwarding.via
        self.backlog = Int32(clamping: config.listeners.map(\.backlog).max() ?? 1024)
        // Every response has an ID of its own: indexing it only churns the HPACK table.
        if config.requestID.enabled { self.unindexedResponseFields = [config.requestID.header] }
    }
}
