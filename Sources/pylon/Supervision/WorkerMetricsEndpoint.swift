import NIOCore
import NIOHTTP1
import PylonGateway
import PylonProxy

/// The metrics listener as a supervised worker serves it, on the descriptor the master
/// handed over (the gateway's own metrics endpoint binds its address itself, which N
/// workers cannot all do). Same behaviour: `GET <path>` → Prometheus text, else 404.
struct WorkerMetricsEndpoint: ProxyHTTP {
    let metrics: GatewayMetrics
    let path: String

    struct NoUpstream: Error {}

    func makeContext() {}

    func requestFilter(_ session: ProxySession, _ ctx: inout Void) throws -> RequestFilterResult {
        guard session.path == self.path else {
            return .respond(.text(.notFound, "metrics are at \(self.path)"))
        }
        guard session.request.method == .GET || session.request.method == .HEAD else {
            return .respond(.text(.methodNotAllowed, "use GET", headers: ["Allow": "GET, HEAD"]))
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        return .respond(ProxyResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: self.metrics.render())))
    }

    func upstreamPeer(_ session: ProxySession, _ ctx: inout Void) throws -> HTTPPeer {
        throw NoUpstream()
    }
}
