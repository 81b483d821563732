import NIOCore

/// `pylon_upstream_target_healthy{upstream,target}`: 1 when requests may go to the target
/// (its active check says up and it is not passively ejected), else 0 — rendered from the
/// shared table at scrape time, so every worker answers the same.
struct TargetHealthGauges: Sendable {
    let upstreams: [UpstreamGroup]

    /// The Prometheus text lines, `# HELP` and `# TYPE` included; empty without upstreams.
    func prometheusLines() -> [UInt8] {
        guard !self.upstreams.isEmpty else { return [] }
        let now = NIODeadline.now().uptimeNanoseconds
        var text = """
            # HELP pylon_upstream_target_healthy Whether requests may go to the target: active check up and not passively ejected.
            # TYPE pylon_upstream_target_healthy gauge

            """
        for upstream in self.upstreams {
            for (peer, health) in zip(upstream.peers, upstream.health) {
                let healthy = health.isServable(now: { now })
                let labels = PrometheusExposition.targetLabels(upstream: upstream.name, target: peer.name)
                text += "pylon_upstream_target_healthy{\(labels)} \(healthy ? 1 : 0)\n"
            }
        }
        return Array(text.utf8)
    }
}
