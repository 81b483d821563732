import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the `NIOSSLServerHandler` of a TLS listener's connection and sees it through
/// the handshake: closes it when the client does not finish in time (a truncated or stalled
/// ClientHello must never hold a connection), logs why a handshake failed with the client's
/// address, and once the handshake is done installs the HTTP handler for the negotiated
/// protocol. Events that arrive mid-handshake are held and handed on to that handler once
/// it exists: a drain (it then answers one request with `Connection: close`) and the
/// PROXY protocol header read before the first TLS record (the client's real address).
///
/// After the handshake it stays in the pipeline only to keep a missing `close_notify` (a
/// client that closes its socket without it, which most do) from reaching the HTTP handler
/// as an error: the end of input that follows says everything that matters.
final class TLSServerHandshakeHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    private enum State {
        case handshaking
        case established
        /// Closed by this handler (timeout) or failed: later errors are consequences.
        case finished
    }

    private let timeout: TimeAmount
    private let logger: Logger
    /// Adds the handler that serves requests after the handshake, given the ALPN result.
    private let installApplicationHandler: (ChannelHandlerContext, String?) throws -> Void
    private var state = State.handshaking
    private var timer: Scheduled<Void>?
    /// User events that came before the HTTP handler was there to see them.
    private var pendingEvents: [Any] = []
    private var clientAddress = "?"

    init(
        timeout: TimeAmount,
        logger: Logger,
        installApplicationHandler: @escaping (ChannelHandlerContext, String?) throws -> Void
    ) {
        self.timeout = timeout
        self.logger = logger
        self.installApplicationHandler = installApplicationHandler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.startTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startTimer(context: context)
        context.fireChannelActive()
    }

    private func startTimer(context: ChannelHandlerContext) {
        guard self.timer == nil, case .handshaking = self.state else { return }
        self.clientAddress = context.channel.remoteAddress?.ipAddressAndPort ?? "?"
        let timeout = self.timeout
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.timer = nil
            guard case .handshaking = self.state else { return }
            self.state = .finished
            self.logger.info(
                "TLS handshake not complete in time; closing",
                metadata: ["client": "\(self.clientAddress)", "timeout": "\(timeout)"]
            )
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case TLSUserEvent.handshakeCompleted(let negotiatedProtocol):
            guard case .handshaking = self.state else { return }
            self.state = .established
            self.timer?.cancel()
            self.timer = nil
            do {
                try self.installApplicationHandler(context, negotiatedProtocol)
            } catch {
                self.state = .finished
                self.logger.error("cannot serve a TLS connection", metadata: ["client": "\(self.clientAddress)", "error": "\(error)"])
                context.close(promise: nil)
                return
            }
            context.fireUserInboundEventTriggered(event)
            let pending = self.pendingEvents
            self.pendingEvents = []
            for held in pending { context.fireUserInboundEventTriggered(held) }
        case is ProxyDrainEvent where self.isHandshaking, is ProxyProtocolHeader where self.isHandshaking:
            self.pendingEvents.append(event)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private var isHandshaking: Bool {
        if case .handshaking = self.state { return true }
        return false
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch self.state {
        case .handshaking:
            // NIOSSLHandler closes the connection itself after a failed handshake (sending the
            // alert BoringSSL chose); this only says why.
            self.state = .finished
            self.timer?.cancel()
            self.timer = nil
            self.logHandshakeFailure(error)
        case .established:
            if case NIOSSLError.uncleanShutdown = error { return }
            context.fireErrorCaught(error)
        case .finished:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    private func logHandshakeFailure(_ error: any Error) {
        let description = TLSFailureDescription(error)
        var metadata: Logger.Metadata = ["client": "\(self.clientAddress)", "error": "\(description.reason)"]
        if description.isPlainHTTP {
            metadata["hint"] = "the client spoke plain HTTP to a TLS listener"
        }
        if description.isEndOfInput {
            // Port scanners and TCP health checks connect and leave: not worth an info line.
            self.logger.debug("client left during the TLS handshake", metadata: metadata)
        } else {
            self.logger.info("TLS handshake failed", metadata: metadata)
        }
    }
}
