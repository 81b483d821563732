import NIOCore
import NIOHTTP2

/// The idle timeout, keep-alive PINGs and the maximum age. Each is one timer that is
/// re-checked when it fires, so reads and streams only move a timestamp.
extension HTTP2ClientConnection {
    // MARK: Idle timeout

    /// After `idleTimeout` with no open stream: the graceful close (GOAWAY, NO_ERROR).
    func armIdleTimer() {
        guard self.idleTimer == nil, let idleSince = self.idleSince, let context = self.context else { return }
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: idleSince + self.idleTimeout) { [self] in
            self.idleTimer = nil
            guard case .open = self.closing, let idleSince = self.idleSince, self.openStreams == 0 else { return }
            if idleSince + self.idleTimeout <= self.eventLoop.now {
                self.beginGracefulClose()
            } else {
                self.armIdleTimer()
            }
        }
    }

    // MARK: Keep-alive PINGs

    /// Called after every read: the client is there, so a keep-alive PING waiting for its
    /// answer has one (the ACK itself, or anything else the client sent meanwhile).
    func clientWasHeardFrom() {
        guard self.keepAlive != nil, let context = self.context else { return }
        self.lastReadAt = context.eventLoop.now
        self.keepAliveTimeoutTimer?.cancel()
        self.keepAliveTimeoutTimer = nil
        self.armKeepAliveTimer()
    }

    func armKeepAliveTimer() {
        guard let keepAlive = self.keepAlive, self.keepAliveTimer == nil, self.keepAliveTimeoutTimer == nil,
            let lastReadAt = self.lastReadAt, let context = self.context
        else { return }
        self.keepAliveTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastReadAt + keepAlive.interval) { [self] in
            self.keepAliveTimer = nil
            guard let lastReadAt = self.lastReadAt, self.keepAliveTimeoutTimer == nil else { return }
            if lastReadAt + keepAlive.interval <= self.eventLoop.now {
                self.sendKeepAlivePing(timeout: keepAlive.timeout)
            } else {
                self.armKeepAliveTimer()
            }
        }
    }

    private func sendKeepAlivePing(timeout: TimeAmount) {
        guard let context = self.context else { return }
        let ping = HTTP2Frame(streamID: .rootStream, payload: .ping(self.keepAlivePingData, ack: false))
        context.writeAndFlush(self.wrapOutboundOut(ping), promise: nil)
        self.keepAliveTimeoutTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.keepAliveTimeoutTimer = nil
            guard let context = self.context, !self.failed else { return }
            self.failed = true
            self.logger.info(
                "HTTP/2 client did not answer a keep-alive PING; closing",
                metadata: [
                    "client": "\(self.remoteAddress?.ipAddressAndPort ?? "?")", "timeout": "\(timeout)",
                    "open_streams": "\(self.openStreams)",
                ]
            )
            // Nothing came back, so a GOAWAY would not be read either.
            context.close(promise: nil)
        }
    }

    // MARK: Maximum age

    func armMaxAgeTimer() {
        guard let maxAge = self.maxAge, let context = self.context else { return }
        self.maxAgeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: maxAge) { [self] in
            self.maxAgeTimer = nil
            self.maxAgeReached()
        }
    }

    private func maxAgeReached() {
        guard case .open = self.closing, let context = self.context else { return }
        self.logger.debug(
            "HTTP/2 connection reached its maximum age; closing gracefully",
            metadata: ["client": "\(self.remoteAddress?.ipAddressAndPort ?? "?")", "open_streams": "\(self.openStreams)"]
        )
        self.beginGracefulClose()
        guard let grace = self.maxAgeGrace else { return }
        self.maxAgeGraceTimer = context.eventLoop.assumeIsolated().scheduleTask(in: grace) { [self] in
            self.maxAgeGraceTimer = nil
            guard let context = self.context else { return }
            self.logger.info(
                "HTTP/2 connection past its maximum age and grace; closing",
                metadata: ["client": "\(self.remoteAddress?.ipAddressAndPort ?? "?")", "open_streams": "\(self.openStreams)"]
            )
            context.close(promise: nil)
        }
    }

    /// Spreads a maximum age by up to ±10 % (as gRPC does), so clients that connected
    /// together, say after a restart, do not all reconnect together.
    static func spread(_ age: TimeAmount) -> TimeAmount {
        let jitter = age.nanoseconds / 10
        return .nanoseconds(age.nanoseconds + Int64.random(in: -jitter...jitter))
    }

    func cancelConnectionTimers() {
        for timer in [self.idleTimer, self.keepAliveTimer, self.keepAliveTimeoutTimer, self.maxAgeTimer, self.maxAgeGraceTimer] {
            timer?.cancel()
        }
        self.idleTimer = nil
        self.keepAliveTimer = nil
        self.keepAliveTimeoutTimer = nil
        self.maxAgeTimer = nil
        self.maxAgeGraceTimer = nil
    }
}
