import NIOCore
import NIOHTTP1
import PylonProxy

/// What a `redirect_to_https` listener runs instead of the gateway: every request is
/// answered `308 Permanent Redirect` to the same host, path and query over HTTPS (308, not
/// 301: the client repeats the method and body). It never goes upstream, but it is logged
/// like any other request: a client stuck in a redirect, or plain-HTTP traffic that should
/// not exist, must show in the access log.
struct HTTPSRedirect: ProxyHTTP {
    /// The HTTPS port to send clients to, by listener name.
    let httpsPortByListener: [String: Int]
    /// Nil when `access_log.enabled` is false.
    let accessLog: AccessLog?
    /// Who the client is for the log's `client`, as the gateway would say.
    let clientAddresses: ClientAddressResolver

    /// The access log's `route` for a redirect: no route was consulted.
    static let routeName = "-"

    func makeContext() {}

    func requestFilter(_ session: ProxySession, _ ctx: inout Void) throws -> RequestFilterResult {
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

    func upstreamPeer(_ session: ProxySession, _ ctx: inout Void) throws -> HTTPPeer {
        throw GatewayError.noRoute
    }

    func logging(_ session: ProxySession, _ record: ProxyLogRecord, _ ctx: inout Void) {
        guard let accessLog = self.accessLog else { return }
        // The read-only resolution: nothing is forwarded, so no header needs dropping.
        let client = self.clientAddresses.resolve(
            connectionClient: session.proxyProtocolSource ?? session.clientAddress,
            connectionClientIP: session.proxyProtocolSourceIP ?? session.clientIP,
            headers: session.request.headers
        ).clientIP
        accessLog.record(session: session, record: record, route: Self.routeName, client: client, requestID: nil)
    }

    private static func hostText(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress else { return nil }
        if case .v6 = address { return "[\(ip)]" }
        return ip
    }
}
