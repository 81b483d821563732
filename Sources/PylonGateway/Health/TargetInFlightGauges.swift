/// `pylon_upstream_target_in_flight{upstream,target}`: requests in flight to the target
/// across all live workers, the sum `least_connections` and `power_of_two` pick by, read
/// from the shared counts at scrape time so every worker answers the same.
///
/// Only upstreams balanced by those algorithms count requests in flight (a relaxed atomic
/// add at each request's start and end that the other algorithms have no use for), so
/// only their targets have the gauge.
struct TargetInFlightGauges: Sendable {
    let upstreams: [UpstreamGroup]

    /// The Prometheus text lines, `# HELP` and `# TYPE` included; empty when no upstream
    /// counts requests in flight.
    func prometheusLines() -> [UInt8] {
        let counted = self.upstreams.filter(\.tracksLoad)
        guard !counted.isEmpty else { return [] }
        var text = """
            # HELP pylon_upstream_target_in_flight Requests in flight to the target across all workers (least_connections and power_of_two upstreams).
            # TYPE pylon_upstream_target_in_flight gauge

            """
        for upstream in counted {
            for (peer, health) in zip(upstream.peers, upstream.health) {
                let labels = PrometheusExposition.targetLabels(upstream: upstream.name, target: peer.name)
                text += "pylon_upstream_target_in_flight{\(labels)} \(health.inFlight)\n"
            }
        }
        return Array(text.utf8)
    }
}
