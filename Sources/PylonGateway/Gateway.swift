public import Logging
import NIOCore
import NIOHTTP1
public import PylonProxy

/// The gateway: routing, auth, header rules, balanced and health-checked upstreams, metrics and the
/// access log, all as one `ProxyHTTP` implementation driven by a `GatewayConfig`.
///
/// A class, not a struct: the proxy calls its phases through the generic `ProxyHTTP`, and
/// each such call copied a struct's every stored reference in and out (a retain and a
/// release apiece, ten phases per request); a reference costs one.
public final class Gateway: ProxyHTTP {
    /// What the gateway decided about one request.
    public struct Context: Sendable {
        /// Index of the matched route, nil if none matched.
        var route: Int?
        /// Connect attempts left after the current one.
        var retriesLeft = 0
        /// The client's IP as the gateway trusts it: the TCP peer, or what a trusted proxy
        /// said (X-Forwarded-For, PROXY protocol). Set in `earlyRequestFilter`.
        var clientIP: String?
        /// The request's ID (`X-Request-Id` as a trusted sender gave it, else generated). Set
        /// in `earlyRequestFilter`.
        var requestID: RequestID?
        /// The scheme a trusted proxy in front said the client used (its `X-Forwarded-Proto`),
        /// forwarded instead of the listener's. Set in `earlyRequestFilter`.
        var forwardedProto: String?
        /// Why the gateway answered the request itself, if it did (for metrics and logs).
        var rejection: GatewayRejection?
        /// The target (index in the route's upstream) the request is with now, if any.
        var target: Int?
        /// Targets whose connect already failed for this request (bit i = target i).
        var triedTargets: UInt64 = 0
        /// The rate limit's decision on a limited route, for the response's `RateLimit` fields.
        var rateLimit: RateLimitOutcome?
        /// Who the route's auth says called: an API key's name, a Basic user, a token's `sub`.
        /// Never a secret. Set in `requestFilter`; nil without auth or when the scheme cannot tell.
        var authenticatedClient: String?
    }

    let routes: [Route]
    /// Whether any route matches on Host: if none does, the Host header is never parsed.
    let routesMatchHost: Bool
    let upstreams: [UpstreamGroup]
    let requestHeaders: HeaderRules
    let responseHeaders: HeaderRules
    let preserveHost: Bool
    /// `forwarding.x_forwarded_proto`: the proxy sets the header; a trusted proxy's value wins.
    let forwardsProto: Bool
    let metrics: GatewayMetrics
    /// Per-route request metrics, by route index, and those of requests no route matched.
    let routeMetrics: [RouteMetrics]
    let unroutedMetrics: RouteMetrics
    let accessLog: AccessLog?
    /// Target health and load, shared by every worker of the service.
    let healthTable: TargetHealthTable
    let logger: Logger
    let rateLimits: RouteRateLimits
    let clientAddresses: ClientAddressResolver
    /// Nil when `request_id.enabled` is false.
    let requestIDs: RequestIDs?

    /// Builds the gateway from a validated config; resolves upstream host names, so call
    /// it at start-up, not on an event loop. `generation` names this process's slot in the
    /// shared state, for logs.
    public init(
        config: GatewayConfig, sharedMemory: SharedMemorySegment, metrics: GatewayMetrics, accessLog: AccessLog?,
        generation: Int = 0, logger: Logger = Logger(label: "pylon")
    ) throws {
        let healthTable = TargetHealthTable(segment: sharedMemory, owner: .current(generation: generation), logger: logger)
        let upstreams = try config.upstreams.map { try UpstreamGroup.resolve($0, table: healthTable) }
        self.healthTable = healthTable
        self.logger = logger
        var indexByName: [String: Int] = [:]
        for (index, upstream) in upstreams.enumerated() { indexByName[upstream.name] = index }
        self.upstreams = upstreams
        self.routes = config.routes.map { Route($0, upstreamIndex: indexByName[$0.upstream]!) }
        self.routesMatchHost = self.routes.contains { $0.host != nil }
        self.rateLimits = RouteRateLimits(config: config, routeNames: self.routes.map(\.name), sharedMemory: sharedMemory)
        self.requestHeaders = config.requestHeaders
        self.responseHeaders = config.responseHeaders
        self.preserveHost = config.forwarding.preserveHost
        self.forwardsProto = config.forwarding.xForwardedProto
        self.metrics = metrics
        self.routeMetrics = self.routes.map { metrics.route($0.name, upstream: upstreams[$0.upstream].name) }
        self.unroutedMetrics = metrics.route("none", upstream: "none")
        self.accessLog = accessLog
        self.clientAddresses = ClientAddressResolver(
            trustedProxies: TrustedProxies(config.trustedProxies),
            dropsUntrustedForwardedFor: config.forwarding.xForwardedFor
        )
        self.requestIDs = config.requestID.enabled ? RequestIDs(config.requestID) : nil
    }

    public func makeContext() -> Context { Context() }

    public func earlyRequestFilter(_ session: ProxySession, _ ctx: inout Context) throws {
        ctx.clientIP = self.clientAddresses.resolve(session)
        if self.forwardsProto { ctx.forwardedProto = self.clientAddresses.forwardedProto(session) }
        ctx.requestID = self.requestIDs?.requestID(for: session, clientAddresses: self.clientAddresses)
    }

    public func requestFilter(_ session: ProxySession, _ ctx: inout Context) throws -> RequestFilterResult {
        let host = self.routesMatchHost ? session.host : nil
        let path = session.path
        guard let index = self.routes.firstIndex(where: { $0.matches(host: host, path: path) }) else {
            return .respond(.text(.notFound, "no route for \(path)"))
        }
        ctx.route = index
        let route = self.routes[index]
        // Before auth: counting a request is cheaper than checking its credentials.
        if let limiter = self.rateLimits.limiter(ofRoute: index) {
            let decision = self.rateLimits.limiters[limiter].check(
                headers: session.request.headers, clientIP: ctx.clientIP, apiKeyHeader: route.apiKeyHeader
            )
            ctx.rateLimit = RateLimitOutcome(limiter: limiter, decision: decision)
            if !decision.allowed {
                ctx.rejection = .rateLimited
                return .respond(self.rateLimits.limiters[limiter].refusal(for: decision))
            }
        }
        if route.hasAuth, let auth = route.auth {
            switch auth.check(session.request.headers) {
            case .allowed(let client):
                ctx.authenticatedClient = client
            case .refused(let response):
                ctx.rejection = .authFailed(scheme: auth.scheme)
                return .respond(response)
            }
        }
        if !self.upstreams[route.upstream].hasServableTarget() { return self.refuseWithoutHealthyTarget(route.upstream, &ctx) }
        ctx.retriesLeft = self.upstreams[route.upstream].retries
        return .proceed
    }

    public func upstreamPeer(_ session: ProxySession, _ ctx: inout Context) throws -> HTTPPeer {
        guard ctx.route != nil else { throw GatewayError.noRoute }
        return self.pickTarget(session, &ctx)
    }

    public func upstreamRequestFilter(
        _ session: ProxySession, _ request: inout RequestHead, _ ctx: inout Context
    ) throws {
        if !self.preserveHost, let peer = session.peer {
            request.headers.replaceOrAdd(name: "Host", value: peer.name)
        }
        // Before the header rules, so an operator's rule has the last word.
        if let proto = ctx.forwardedProto { request.headers.replaceOrAdd(name: "X-Forwarded-Proto", value: proto) }
        self.requestIDs?.write(ctx.requestID, to: &request.headers)
        self.requestHeaders.apply(to: &request.headers)
        if let route = ctx.route { self.routes[route].requestHeaders.apply(to: &request.headers) }
    }

    public func responseFilter(_ session: ProxySession, _ response: inout ResponseHead, _ ctx: inout Context) throws {
        if let outcome = ctx.rateLimit {
            self.rateLimits.limiters[outcome.limiter].addFields(for: outcome.decision, to: &response.headers)
        }
        self.requestIDs?.writeResponseID(&ctx.requestID, to: &response.headers)
        self.responseHeaders.apply(to: &response.headers)
        if let route = ctx.route { self.routes[route].responseHeaders.apply(to: &response.headers) }
    }

    public func failToConnect(_ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context) -> Bool {
        self.recordUpstreamError(peer: peer, error: error, ctx)
        let anotherTarget = self.leaveFailedTarget(&ctx)
        // Nothing reached the peer, so even a POST may go to the next one.
        guard ctx.retriesLeft > 0, anotherTarget else { return false }
        ctx.retriesLeft -= 1
        return true
    }

    public func errorWhileProxy(
        _ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context
    ) -> ProxyError {
        self.recordUpstreamError(peer: peer, error: error, ctx)
        if error.kind == .readTimeout { self.recordTargetFailure(ctx) }
        return error
    }

    private func recordUpstreamError(peer: HTTPPeer, error: ProxyError, _ ctx: Context) {
        let upstream = ctx.route.map { self.upstreams[self.routes[$0].upstream].name } ?? "-"
        self.metrics.recordUpstreamError(upstream: upstream, kind: error.kind.metricLabel)
    }

    public func logging(_ session: ProxySession, _ record: ProxyLogRecord, _ ctx: inout Context) {
        let routeName = ctx.route.map { self.routes[$0].name } ?? "none"
        self.finishWithTarget(record, &ctx)
        let routeMetrics = ctx.route.map { self.routeMetrics[$0] } ?? self.unroutedMetrics
        routeMetrics.record(status: record.status, durationNanoseconds: record.duration.nanoseconds)
        switch ctx.rejection {
        case .rateLimited: routeMetrics.recordRateLimited()
        case .authFailed(let scheme): self.metrics.recordAuthFailure(route: routeName, scheme: scheme)
        case .noHealthyTarget, nil: break
        }
        self.accessLog?.record(
            session: session, record: record, route: routeName,
            client: ctx.clientIP ?? session.proxyProtocolSourceIP ?? session.clientIP, requestID: ctx.requestID
        )
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
        case .upstreamRefusedStream: "refused_stream"
        case .upstreamCertificateRefused: "certificate_refused"
        case .upstreamTLSFailed: "tls"
        case .downstreamClosed: "client_closed"
        case .badRequest: "bad_request"
        case .phase: "internal"
        }
    }
}
