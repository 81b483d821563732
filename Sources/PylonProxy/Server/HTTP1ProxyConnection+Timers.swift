import NIOCore
import NIOHTTP1

/// Draining and the waiting, header and body timers.
extension HTTP1ProxyConnection {
    func beginDrain(closeIdleAfter: TimeAmount) {
        self.draining = true
        self.drainIdleGrace = closeIdleAfter
        if let exchange = self.exchange {
            // Answer this request with `Connection: close` if its head is not out yet.
            // If it is, the connection turns idle-draining after the response: the next
            // request on it is answered with `Connection: close`.
            if !exchange.responseStarted { exchange.closeAfterResponse = true }
            return
        }
        // Idle: stay open so a request already on its way is answered (with
        // `Connection: close`); half-close only if the connection is still idle later.
        self.wait = nil
        self.armWaitTimer()
    }

    // MARK: Timers

    /// Between requests: the idle timeout; once a head has started arriving (or on a
    /// fresh connection): the header timeout, answered with 408; when draining: the
    /// drain's idle grace. A deadline already running for the same purpose is kept, so
    /// a client trickling its head cannot extend it.
    func armWaitTimer() {
        guard !self.closing, self.exchange == nil, self.context != nil else { return }
        let purpose: WaitPurpose
        let timeout: TimeAmount
        if self.draining {
            (purpose, timeout) = (.drain, self.drainIdleGrace)
        } else if self.input.readableBytes > 0 || self.requestsServed == 0 {
            (purpose, timeout) = (.head, self.configuration.headerTimeout)
        } else {
            (purpose, timeout) = (.idle, self.configuration.idleTimeout)
        }
        if let wait = self.wait, wait.purpose == purpose { return }
        let deadline = NIODeadline.now() + timeout
        self.wait = (purpose, deadline)
        if let firesAt = self.waitTimerFiresAt, self.waitTimer != nil, firesAt <= deadline { return }
        self.scheduleWaitTimer(at: deadline)
    }

    func scheduleWaitTimer(at deadline: NIODeadline) {
        self.waitTimer?.cancel()
        self.waitTimerFiresAt = deadline
        self.waitTimer = self.context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.waitTimer = nil
            self.waitTimerFiresAt = nil
            self.waitTimerFired()
        }
    }

    func waitTimerFired() {
        guard let wait = self.wait, self.exchange == nil, !self.closing else { return }
        guard wait.deadline <= .now() else {
            self.scheduleWaitTimer(at: wait.deadline)
            return
        }
        self.wait = nil
        switch wait.purpose {
        case .head where self.input.readableBytes > 0:
            self.rejectRequest(RequestParseError(status: 408, reason: "request head not complete in time"))
        case .head, .idle, .drain:
            self.closeGracefully()
        }
    }

    func armBodyTimer() {
        guard self.bodyTimer == nil else { return }
        let timeout = self.configuration.bodyTimeout
        let deadline = (self.exchange?.lastBodyRead ?? .now()) + timeout
        self.bodyTimer = self.context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.bodyTimer = nil
            guard let exchange = self.exchange, !exchange.requestComplete else { return }
            if exchange.lastBodyRead + timeout > .now() || !self.mayRead {
                // Body still moving, or held back by Pylon's own backpressure.
                if !self.mayRead { exchange.lastBodyRead = .now() }
                self.armBodyTimer()
                return
            }
            let error = ProxyError(.badRequest(status: 408), "request body stalled for \(timeout)")
            exchange.requestComplete = true
            exchange.closeAfterResponse = true
            exchange.abandonUpstream()
            self.fail(exchange, error)
        }
    }
}

enum WaitPurpose {
    case idle, head, drain
}
