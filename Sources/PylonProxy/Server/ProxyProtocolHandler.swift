import Logging
import NIOCore

/// The first handler on a listener that requires a PROXY protocol header: refuses
/// untrusted peers, reads and decodes the header (bounded in size and time), hands the
/// result to the HTTP handler behind it as a `ProxyProtocolHeader` user event followed by
/// the bytes that came after the header, then leaves the pipeline so requests pay
/// nothing for it. Every failure closes the connection with a log line.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        /// Waiting for the connection to become active to check its peer.
        case idle
        /// Reading the header.
        case reading
        /// Decoded or failed: nothing more to do here.
        case done
    }

    private let policy: ProxyProtocolPolicy
    private let decoder: ProxyProtocolDecoder
    private let timeout: TimeAmount
    private let logger: Logger
    private var state = State.idle
    private var input = ByteBuffer()
    private var timer: Scheduled<Void>?
    private var peer: SocketAddress?

    init(policy: ProxyProtocolPolicy, timeout: TimeAmount, logger: Logger) {
        self.policy = policy
        self.decoder = ProxyProtocolDecoder(maxV2Length: policy.maxV2Length)
        self.timeout = policy.timeout ?? timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        guard self.start(context: context) else { return }
        context.fireChannelActive()
    }

    /// Checks the peer once; false (and closing) when it may not send a header.
    @discardableResult
    private func start(context: ChannelHandlerContext) -> Bool {
        guard case .idle = self.state else { return self.state == .reading }
        self.peer = context.channel.remoteAddress
        guard let peer = self.peer, self.policy.acceptsSource(peer) else {
            self.fail(context: context, "connection from a source not trusted to send a PROXY protocol header")
            return false
        }
        self.state = .reading
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: self.timeout) { [self] in
            self.timer = nil
            guard case .reading = self.state else { return }
            self.fail(context: context, "no complete PROXY protocol header within \(self.timeout)")
        }
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .reading = self.state else { return }  // failed: closing, drop the rest
        var bytes = self.unwrapInboundIn(data)
        if self.input.readableBytes == 0 {
            self.input = bytes
        } else {
            self.input.writeBuffer(&bytes)
        }
        let header: ProxyProtocolHeader
        do {
            guard let decoded = try self.decoder.decode(&self.input) else { return }
            header = decoded
        } catch {
            self.fail(context: context, "invalid PROXY protocol header: \(error.reason)")
            return
        }
        self.state = .done
        self.timer?.cancel()
        self.timer = nil
        context.fireUserInboundEventTriggered(header)
        let rest = self.input
        self.input = ByteBuffer()
        if rest.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .reading = self.state, case ChannelEvent.inputClosed = event {
            // A client (often a port check) that connects and leaves: nothing to complain about.
            self.state = .done
            self.timer?.cancel()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.state = .done
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ reason: String) {
        self.state = .done
        self.timer?.cancel()
        self.timer = nil
        self.logger.notice(
            "PROXY protocol: closing connection",
            metadata: ["peer": "\(self.peer?.ipAddressAndPort ?? "?")", "reason": "\(reason)"]
        )
        context.close(promise: nil)
    }
}
