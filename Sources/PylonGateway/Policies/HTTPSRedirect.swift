import NIOCore
import NIOHTTP1
import PylonProxy

/// What a `redirect_to_https` listener runs instead of the gateway: every request is
/// answered `308 Permanent Redirect` to the same host, path and query over HTTPS (308, not
/// 301: the client repeats the method and body). It never goes upstream, but it is seen
/// like any other request: a client stuck in a redirect, or plain-HTTP traffic that should
/// not exist, must show in the access log and the metrics. So a redirect carries a request
/// ID as the gateway's answers do (`request_id`), and is counted in `pylon_requests_total`
/// under the route `redirect_to_https` (upstream `none`, as for a request no route matched).
struct HTTPSRedirect: ProxyHTTP {
    struct Context: Sendable {
        /// As the gateway's `Context.requestID`.
        var requestID: RequestID?
    }

    /// The HTTPS port to send clients to, by listener name.
    let httpsPortByListener: [String: Int]
    /// Nil when `access_log.enabled` is false.
    let accessLog: AccessLog?
    /// Who the client is for the log's `client`, as the gateway would say.
    let clientAddresses: ClientAddressResolver
    /// The gateway's request-ID policy; nil when `request_id.enabled` is false.
    let requestIDs: RequestIDs?
    /// The redirects' series (`metrics(in:)`).
    let metrics: RouteMetrics

    /// The `route` of a redirect in the access log and in metrics, the same in both so a
    /// log line and its series can be matched: no route was consulted, the listener answered.
    static let routeName = "redirect_to_https"

    /// The redirects' per-request series in `metrics`.
    static func metrics(in metrics: GatewayMetrics) -> RouteMetrics {
        metrics.route(Self.routeName, upstream: "none")
    }

    func makeContext() -> Context { Context() }

    func earlyRequestFilter(_ session: ProxySession, _ ctx: inout Context) throws {
        ctx.requestID = self.requestIDs?.requestID(for: session, clientAddresses: self.clientAddresses)
    }

    func requestFilter(_ session: ProxySession, _ ctx: inout Context) throws -> RequestFilterResult {
        let port = self.httpsPortByListener[session.listenerName] ?? 443
        // Without a Host header (HTTP/1.0) the address the client reached is the best guess.
        guard let host = session.host ?? Self.hostText(session.localAddress) else {
            return .respond(.text(.badRequest, "a Host header is needed to redirect to HTTPS"))
        }
        let authority = port == 443 ? host : "\(host):\(port)"
        let target = session.request.uri.hasPrefix("/") ? session.request.uri : "/"
        let location = "https://\(authority)\(target)"
        return .respond(.text(.permanentRedirect, location, headers: ["Location": location]))
    }

    func upstreamPeer(_ session: ProxySession, _ ctx: inout Context) throws -> HTTPPeer {
        throw GatewayError.noRoute
    }

    func responseFilter(_ session: ProxySession, _ response: inout ResponseHead, _ ctx: inout Context) throws {
        self.requestIDs?.writeResponseID(&ctx.requestID, to: &response.headers)
    }

    func logging(_ session: ProxySession, _ record: ProxyLogRecord, _ ctx: inout Context) {
        self.metrics.record(status: record.status, durationNanoseconds: record.duration.nanoseconds)
        guard let accessLog = self.accessLog else { return }
        // The read-only resolution: nothing is forwarded, so no header needs dropping.
        let client = self.clientAddresses.resolve(
            connectionClient: session.proxyProtocolSource ?? session.clientAddress,
            connectionClientIP: session.proxyProtocolSourceIP ?? session.clientIP,
            headers: session.request.headers
        ).clientIP
        accessLog.record(session: session, record: record, route: Self.routeName, client: client, requestID: ctx.requestID)
    }

    private static func hostText(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress else { return nil }
        if case .v6 = address { return "[\(ip)]" }
        return ip
    }
}
