import NIOCore
import NIOSSL
import NIOTLS

/// Holds a new TLS upstream connection back until its handshake is done, so a refused
/// certificate fails the connect (502, and the next target may be tried: nothing was
/// sent) instead of the request. The handshake shares the peer's connect timeout with
/// the TCP connect. Leaves the pipeline once the handshake succeeded.
final class UpstreamTLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let peer: HTTPPeer
    private let deadline: NIODeadline
    private var promise: EventLoopPromise<String?>?
    private var timer: Scheduled<Void>?
    /// Succeeds when the handshake is done, with the protocol ALPN chose (nil: none);
    /// fails with the `ProxyError` to report.
    let handshakeDone: EventLoopFuture<String?>

    init(peer: HTTPPeer, deadline: NIODeadline, eventLoop: any EventLoop) {
        self.peer = peer
        self.deadline = deadline
        let promise = eventLoop.makePromise(of: String?.self)
        self.promise = promise
        self.handshakeDone = promise.futureResult
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: self.deadline) { [self] in
            self.timer = nil
            self.fail(
                ProxyError(.connectTimeout, "TLS handshake with \(self.peer) not complete within \(self.peer.connectTimeout)"),
                context: context
            )
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted(let negotiatedProtocol) = event, let promise = self.promise {
            if let refusal = self.identityRefusal(context: context) {
                self.fail(refusal, context: context)
                return
            }
            self.promise = nil
            self.timer?.cancel()
            self.timer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            promise.succeed(negotiatedProtocol)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The context verified the chain; this checks that the certificate is for this peer.
    private func identityRefusal(context: ChannelHandlerContext) -> ProxyError? {
        guard let tls = self.peer.tls, tls.context.verifiesCertificates else { return nil }
        let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
        let wanted = tls.serverName ?? self.peer.address.ipAddress ?? "?"
        guard let certificate else {
            return ProxyError(.upstreamCertificateRefused, "\(self.peer): certificate for \(wanted) refused: none was presented")
        }
        guard UpstreamCertificateIdentity.matches(certificate, serverName: tls.serverName, address: self.peer.address) else {
            let names = UpstreamCertificateIdentity.describeNames(in: certificate)
            return ProxyError(.upstreamCertificateRefused, "\(self.peer): certificate for \(wanted) refused: it is for \(names)")
        }
        return nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard self.promise != nil else {
            context.fireErrorCaught(error)
            return
        }
        self.fail(Self.proxyError(error, peer: self.peer), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(ProxyError(.upstreamTLSFailed, "\(self.peer) closed the connection during the TLS handshake"), context: context)
        context.fireChannelInactive()
    }

    private func fail(_ error: ProxyError, context: ChannelHandlerContext) {
        guard let promise = self.promise else { return }
        self.promise = nil
        self.timer?.cancel()
        self.timer = nil
        context.close(promise: nil)
        promise.fail(error)
    }

    static func proxyError(_ error: any Error, peer: HTTPPeer) -> ProxyError {
        let failure = TLSFailureDescription(error)
        if failure.isCertificateRefused {
            let name = peer.tls?.serverName ?? peer.address.ipAddressAndPort
            return ProxyError(.upstreamCertificateRefused, "\(peer): certificate for \(name) refused: \(failure)")
        }
        return ProxyError(.upstreamTLSFailed, "\(peer): TLS handshake failed: \(failure)")
    }
}
