import NIOCore
import PylonProxy

/// How a request gets its target and what its outcome does to the target's shared state:
/// only servable targets are picked, requests in flight are counted for the load-aware
/// balancers, and connect failures and timeouts count towards passive ejection.
extension Gateway {
    /// The route's upstream has no servable target: 503, logged at most once a second.
    func refuseWithoutHealthyTarget(_ upstreamIndex: Int, _ ctx: inout Context) -> RequestFilterResult {
        let upstream = self.upstreams[upstreamIndex]
        ctx.rejection = .noHealthyTarget
        if upstream.shouldLogRefusal() {
            self.logger.warning(
                "no healthy target; answering 503",
                metadata: ["upstream": "\(upstream.name)", "targets": "\(upstream.peers.count)"]
            )
        }
        return .respond(.text(.serviceUnavailable, "no healthy target in upstream \(upstream.name)"))
    }

    /// `upstreamPeer`: a servable target the request has not tried yet (see `UpstreamGroup.choose`).
    func pickTarget(_ session: ProxySession, _ ctx: inout Context) -> HTTPPeer {
        let upstream = self.upstreams[self.routes[ctx.route!].upstream]
        let keyHash = upstream.keyHash(session, clientIP: ctx.clientIP)
        let index = upstream.choose(keyHash: keyHash, tried: ctx.triedTargets)
        // A request sent again (a stale pooled socket, a stream the upstream refused) leaves
        // the target it had first: it is in flight on one target at a time.
        if let previous = ctx.target { upstream.endRequest(previous) }
        upstream.beginRequest(index)
        ctx.target = index
        return upstream.peers[index]
    }

    /// `failToConnect`: the current target failed; the request leaves it. Returns whether
    /// another servable target is left to retry on.
    func leaveFailedTarget(_ ctx: inout Context) -> Bool {
        guard let route = ctx.route, let target = ctx.target else { return false }
        let upstream = self.upstreams[self.routes[route].upstream]
        upstream.endRequest(target)
        upstream.recordFailure(target, logger: self.logger)
        if target < 64 { ctx.triedTargets |= 1 << UInt64(target) }
        ctx.target = nil
        return upstream.hasServableTarget()
    }

    /// A timeout after the request was sent: counts towards ejecting the current target.
    func recordTargetFailure(_ ctx: Context) {
        guard let route = ctx.route, let target = ctx.target else { return }
        self.upstreams[self.routes[route].upstream].recordFailure(target, logger: self.logger)
    }

    /// `logging`: the request is over; a response from the target ends its failure streak.
    func finishWithTarget(_ record: ProxyLogRecord, _ ctx: inout Context) {
        guard let route = ctx.route, let target = ctx.target else { return }
        let upstream = self.upstreams[self.routes[route].upstream]
        upstream.endRequest(target)
        if record.error == nil { upstream.recordSuccess(target) }
        ctx.target = nil
    }
}
