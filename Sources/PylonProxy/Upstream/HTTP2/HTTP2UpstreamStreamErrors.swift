import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Sits in an upstream stream's pipeline in front of its `UpstreamConnection` and says what
/// nio-http2's stream errors mean for the request: a stream the upstream refused (it was
/// never processed, so a request without a body may go again), a stream it reset, or a
/// response that is not valid HTTP/2.
final class HTTP2UpstreamStreamErrors: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    private let peerName: String

    init(peerName: String) {
        self.peerName = peerName
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.fireErrorCaught(Self.proxyError(error, peerName: self.peerName) ?? error)
    }

    /// The `ProxyError` for an HTTP/2 error on an upstream stream; nil for other errors.
    static func proxyError(_ error: any Error, peerName: String) -> ProxyError? {
        switch error {
        case let closed as NIOHTTP2Errors.StreamClosed where closed.errorCode == .refusedStream:
            // RST_STREAM(REFUSED_STREAM), or beyond the last stream ID of the upstream's GOAWAY.
            return ProxyError(.upstreamRefusedStream, "upstream \(peerName) refused the stream; it was not processed")
        case let closed as NIOHTTP2Errors.StreamClosed:
            return ProxyError(.upstreamClosed, "upstream \(peerName) reset the stream (\(closed.errorCode))")
        case is NIOHTTP2Errors.CreatedStreamAfterGoaway:
            return ProxyError(.upstreamRefusedStream, "upstream \(peerName) said GOAWAY before the stream was opened")
        case let error as any NIOHTTP2Error:
            return ProxyError(.upstreamProtocol, "upstream \(peerName) sent an invalid HTTP/2 response: \(error)")
        default:
            return nil
        }
    }
}
