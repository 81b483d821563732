import NIOCore
public import NIOHTTP1
public import PylonProxy

/// The gateway: routing, auth, header rules, round-robin upstreams, metrics and the
/// access log, all as one `ProxyHTTP` implementation driven by a `GatewayConfig`.
public struct Gateway: ProxyHTTP {
    /// What the gateway decided about one request.
    public struct Context: Sendable {
        /// Index of the matched route, nil if none matched.
        var route: Int?
        /// Connect attempts left after the current one.
        var retriesLeft = 0
        /// The client's IP as the gateway trusts it: the TCP peer, or what a trusted proxy
        /// said (X-Forwarded-For, PROXY protocol). Set in `earlyRequestFilter`.
        var clientIP: String?
        /// The request's ID (`X-Request-Id`, generated when absent). Set in `earlyRequestFilter`.
        var requestID: String?
        /// Why the gateway answered the request itself, if it did (for metrics and logs).
        var rejection: GatewayRejection?
    }

    let routes: [Route]
    /// Whether any route matches on Host: if none does, the Host header is never parsed.
    let routesMatchHost: Bool
    let upstreams: [UpstreamGroup]
    let requestHeaders: HeaderRules
    let responseHeaders: HeaderRules
    let preserveHost: Bool
    let metrics: GatewayMetrics
    let accessLog: AccessLog?

    /// Builds the gateway from a validated config; resolves upstream host names, so call
    /// it at start-up, not on an event loop.
    public init(
        config: GatewayConfig, sharedMemory: SharedMemorySegment, metrics: GatewayMetrics, accessLog: AccessLog?
    ) throws {
        let upstreams = try config.upstreams.map(UpstreamGroup.resolve)
        var indexByName: [String: Int] = [:]
        for (index, upstream) in upstreams.enumerated() { indexByName[upstream.name] = index }
        self.upstreams = upstreams
        self.routes = config.routes.map { Route($0, upstreamIndex: indexByName[$0.upstream]!) }
        self.routesMatchHost = self.routes.contains { $0.host != nil }
        self.requestHeaders = config.requestHeaders
        self.responseHeaders = config.responseHeaders
        self.preserveHost = config.forwarding.preserveHost
        self.metrics = metrics
        self.accessLog = accessLog
    }

    public func makeContext() -> Context { Context() }

    public func earlyRequestFilter(_ session: ProxySession, _ ctx: inout Context) throws {
        ctx.clientIP = session.clientIP
    }

    public func requestFilter(_ session: ProxySession, _ ctx: inout Context) throws -> RequestFilterResult {
        let host = self.routesMatchHost ? session.host : nil
        let path = session.path
        guard let index = self.routes.firstIndex(where: { $0.matches(host: host, path: path) }) else {
            return .respond(.text(.notFound, "no route for \(path)"))
        }
        ctx.route = index
        let route = self.routes[index]
        if let auth = route.auth, !auth.allows(session.request.headers) {
            return .respond(.text(.forbidden, "403 Forbidden"))
        }
        ctx.retriesLeft = self.upstreams[route.upstream].retries
        return .proceed
    }

    public func upstreamPeer(_ session: ProxySession, _ ctx: inout Context) throws -> HTTPPeer {
        guard let route = ctx.route else { throw GatewayError.noRoute }
        return self.upstreams[self.routes[route].upstream].pick()
    }

    public func upstreamRequestFilter(
        _ session: ProxySession, _ request: inout HTTPRequestHead, _ ctx: inout Context
    ) throws {
        if !self.preserveHost, let peer = session.peer {
            request.headers.replaceOrAdd(name: "Host", value: peer.name)
        }
        self.requestHeaders.apply(to: &request.headers)
        if let route = ctx.route { self.routes[route].requestHeaders.apply(to: &request.headers) }
    }

    public func responseFilter(_ session: ProxySession, _ response: inout HTTPResponseHead, _ ctx: inout Context) throws {
        self.responseHeaders.apply(to: &response.headers)
        if let route = ctx.route { self.routes[route].responseHeaders.apply(to: &response.headers) }
    }

    public func failToConnect(_ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context) -> Bool {
        self.recordUpstreamError(peer: peer, error: error, ctx)
        // Nothing reached the peer, so even a POST may go to the next one.
        guard ctx.retriesLeft > 0 else { return false }
        ctx.retriesLeft -= 1
        return true
    }

    public func errorWhileProxy(
        _ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context
    ) -> ProxyError {
        self.recordUpstreamError(peer: peer, error: error, ctx)
        return error
    }

    private func recordUpstreamError(peer: HTTPPeer, error: ProxyError, _ ctx: Context) {
        let upstream = ctx.route.map { self.upstreams[self.routes[$0].upstream].name } ?? "-"
        self.metrics.recordUpstreamError(upstream: upstream, kind: error.kind.metricLabel)
    }

    public func logging(_ session: ProxySession, _ record: ProxyLogRecord, _ ctx: inout Context) {
        let routeName = ctx.route.map { self.routes[$0].name } ?? "none"
        self.metrics.recordRequest(route: routeName, status: record.status, durationNanoseconds: record.duration.nanoseconds)
        self.accessLog?.record(session: session, record: record, route: routeName)
    }
}

/// Why the gateway answered a request itself instead of sending it upstream.
enum GatewayRejection: Sendable, Equatable {
    /// The client's rate limit was exhausted (429).
    case rateLimited
    /// Authentication failed (401/403); `scheme` is `api_key`, `basic`, `jwt` or `secret_header`.
    case authFailed(scheme: String)
    /// No healthy target in the route's upstream (503).
    case noHealthyTarget
}

enum GatewayError: Error, CustomStringConvertible {
    case noRoute

    var description: String {
        switch self {
        case .noRoute: "no route matched"
        }
    }
}

extension ProxyError.Kind {
    /// The `kind` label of `pylon_upstream_errors_total`.
    var metricLabel: String {
        switch self {
        case .connectFailed: "connect"
        case .connectTimeout: "connect_timeout"
        case .readTimeout: "read_timeout"
        case .upstreamClosed: "closed"
        case .upstreamProtocol: "protocol"
        case .upstreamCertificateRefused: "certificate_refused"
        case .upstreamTLSFailed: "tls"
        case .downstreamClosed: "client_closed"
        case .badRequest: "bad_request"
        case .phase: "internal"
        }
    }
}
