import NIOCore
import NIOHTTP1
import PylonProxy

/// The metrics listener's whole behaviour: `GET <path>` answers the Prometheus text
/// exposition, anything else 404. It never goes upstream.
struct MetricsEndpoint: ProxyHTTP {
    let metrics: GatewayMetrics
    let path: String
    var targetHealth: TargetHealthGauges? = nil
    var targetInFlight: TargetInFlightGauges? = nil

    func makeContext() {}

    func requestFilter(_ session: ProxySession, _ ctx: inout Void) throws -> RequestFilterResult {
        guard session.path == self.path else {
            return .respond(.text(.notFound, "metrics are at \(self.path)"))
        }
        guard session.request.method == .GET || session.request.method == .HEAD else {
            return .respond(.text(.methodNotAllowed, "use GET", headers: ["Allow": "GET, HEAD"]))
        }
        var headers = HeaderFields()
        headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        let text = self.metrics.render() + (self.targetHealth?.prometheusLines() ?? []) + (self.targetInFlight?.prometheusLines() ?? [])
        return .respond(ProxyResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: text)))
    }

    func upstreamPeer(_ session: ProxySession, _ ctx: inout Void) throws -> HTTPPeer {
        throw GatewayError.noRoute
    }
}
