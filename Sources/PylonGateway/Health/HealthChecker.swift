import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The service's one health checker. Every worker runs one, but only the holder of the
/// shared lease (`HealthCheckLease`) probes: the others only watch the lease, ready to take
/// over when the holder dies, drains, or belongs to an older generation. So health-check
/// traffic is one checker's whatever `--workers` says, and the results, written to the
/// shared `TargetHealthTable`, are what every worker's balancer reads.
///
/// It runs on one event loop of the worker's group: timers, probes and their results all
/// happen there, so its state needs no lock, and probes are non-blocking NIO connects.
final class HealthChecker: @unchecked Sendable {
    // @unchecked: every mutable property is touched only on `loop` (asserted).

    /// The upstreams with an active check.
    private let upstreams: [UpstreamGroup]
    private let lease: HealthCheckLease
    private let me: HealthCheckLease.Holder
    private let loop: any EventLoop
    private let logger: Logger
    /// How often the lease is renewed (and watched by non-holders); it lasts three periods.
    let leasePeriod: TimeAmount

    private var running = false
    private var holding = false
    private var leaseTimer: Scheduled<Void>?
    private var checkTimers: [Scheduled<Void>?]
    /// Targets whose probe has not finished yet, per upstream: a slow target gets no second
    /// probe on top of the first.
    private var probing: [[Bool]]

    /// Nil when no upstream has a `health_check`: then there is nothing to lease. `pid`
    /// names this worker in the lease (tests stand several workers up in one process).
    init?(
        upstreams: [UpstreamGroup], table: TargetHealthTable, generation: Int, pid: Int32 = getpid(),
        group: any EventLoopGroup, logger: Logger
    ) {
        let checked = upstreams.filter { $0.healthCheck != nil }
        guard !checked.isEmpty else { return nil }
        self.upstreams = checked
        self.lease = table.lease
        self.me = HealthCheckLease.Holder(generation: generation, pid: pid)
        self.loop = group.next()
        self.logger = logger
        let shortestInterval = checked.compactMap { $0.healthCheck.map { TimeAmount($0.interval) } }.min()!
        // At most 1 s, so a dead holder is replaced within ~3 s even when checks are rare;
        // at least 100 ms, so a holder stalled for a moment on a busy machine keeps it.
        self.leasePeriod = max(.milliseconds(100), min(shortestInterval, .seconds(1)))
        self.checkTimers = Array(repeating: nil, count: checked.count)
        self.probing = checked.map { Array(repeating: false, count: $0.peers.count) }
    }

    /// Starts watching the lease, and checking while holding it.
    func start() {
        self.loop.execute {
            guard !self.running else { return }
            self.running = true
            self.renewLease()
            for index in self.upstreams.indices { self.checkUpstream(index) }
        }
    }

    /// Stops checking and hands the lease back, so another worker takes over at once
    /// instead of after the lease expires.
    func stop() async {
        try? await self.loop.submit {
            self.running = false
            self.leaseTimer?.cancel()
            self.leaseTimer = nil
            for timer in self.checkTimers { timer?.cancel() }
            self.checkTimers = self.checkTimers.map { _ in nil }
            if self.holding {
                self.lease.release(as: self.me)
                self.holding = false
                self.logger.info("health checks handed back", metadata: ["holder": "\(self.me)"])
            }
        }.get()
    }

    // MARK: Lease

    private func renewLease() {
        self.loop.preconditionInEventLoop()
        guard self.running else { return }
        let now = NIODeadline.now().uptimeNanoseconds / 1_000_000
        let ttl = UInt64(self.leasePeriod.nanoseconds / 1_000_000) * 3
        let (holding, previous) = self.lease.acquireOrRenew(as: self.me, nowMilliseconds: now, ttlMilliseconds: ttl)
        if holding, !self.holding {
            var metadata: Logger.Metadata = ["holder": "\(self.me)"]
            if let previous, previous != self.me { metadata["previous"] = "\(previous)" }
            self.logger.info("running the health checks for the service", metadata: metadata)
        } else if !holding, self.holding {
            self.logger.info(
                "health checks taken over by another worker",
                metadata: ["holder": "\(self.lease.currentHolder.map(String.init(describing:)) ?? "none")"]
            )
        }
        self.holding = holding
        self.leaseTimer = self.loop.assumeIsolated().scheduleTask(in: self.leasePeriod) { self.renewLease() }
    }

    // MARK: Probes

    private func checkUpstream(_ upstreamIndex: Int) {
        self.loop.preconditionInEventLoop()
        guard self.running else { return }
        let upstream = self.upstreams[upstreamIndex]
        let check = upstream.healthCheck!
        if self.holding {
            for targetIndex in upstream.peers.indices where !self.probing[upstreamIndex][targetIndex] {
                self.probe(upstreamIndex, targetIndex, check)
            }
        }
        self.checkTimers[upstreamIndex] = self.loop.assumeIsolated().scheduleTask(in: TimeAmount(check.interval)) {
            self.checkUpstream(upstreamIndex)
        }
    }

    private func probe(_ upstreamIndex: Int, _ targetIndex: Int, _ check: HealthCheckConfig) {
        let upstream = self.upstreams[upstreamIndex]
        let peer = upstream.peers[targetIndex]
        self.probing[upstreamIndex][targetIndex] = true
        HealthProbe.run(
            check.probe, address: peer.address, targetName: peer.name, tls: peer.tls, httpVersion: peer.httpVersion,
            timeout: TimeAmount(check.timeout), on: self.loop
        )
        .assumeIsolated()
        .whenSuccess { outcome in
            self.probing[upstreamIndex][targetIndex] = false
            // A result that arrives after the lease was lost is not ours to record.
            guard self.running, self.holding else { return }
            self.record(outcome, upstream: upstream, targetIndex: targetIndex, check: check)
        }
    }

    private func record(_ outcome: HealthProbe.Outcome, upstream: UpstreamGroup, targetIndex: Int, check: HealthCheckConfig) {
        let success = outcome == .healthy
        let transition = upstream.health[targetIndex].recordProbe(success: success, rise: check.rise, fall: check.fall)
        var metadata: Logger.Metadata = ["upstream": "\(upstream.name)", "target": "\(upstream.peers[targetIndex].name)"]
        switch transition {
        case .wentDown:
            if case .unhealthy(let reason) = outcome { metadata["reason"] = "\(reason)" }
            metadata["failed_checks"] = "\(check.fall)"
            self.logger.warning("target down", metadata: metadata)
        case .cameUp:
            metadata["passed_checks"] = "\(check.rise)"
            self.logger.notice("target up", metadata: metadata)
        case nil:
            if case .unhealthy(let reason) = outcome {
                metadata["reason"] = "\(reason)"
                self.logger.debug("health check failed", metadata: metadata)
            }
        }
    }
}
