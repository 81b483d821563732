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
    /// The connection the stream is on, for its GOAWAY's last stream ID.
    weak var connection: HTTP2UpstreamConnection?

    init(peerName: String) {
        self.peerName = peerName
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let goAwayLastStreamID = self.connection?.goAwayLastStreamID
        context.fireErrorCaught(Self.proxyError(error, peerName: self.peerName, goAwayLastStreamID: goAwayLastStreamID) ?? error)
    }

    /// The `ProxyError` for an HTTP/2 error on an upstream stream; nil for other errors.
    static func proxyError(_ error: any Error, peerName: String, goAwayLastStreamID: HTTP2StreamID?) -> ProxyError? {
        switch error {
        case let closed as NIOHTTP2Errors.StreamClosed where closed.errorCode == .refusedStream:
            return ProxyError(.upstreamRefusedStream, "upstream \(peerName) refused the stream; it was not processed")
        case let closed as NIOHTTP2Errors.StreamClosed where goAwayLastStreamID.map { closed.streamID > $0 } ?? false:
            // nio-http2 closes the streams beyond the last one a GOAWAY names (as CANCEL):
            // the upstream never processed them.
            return ProxyError(.upstreamRefusedStream, "upstream \(peerName) said GOAWAY before processing the stream")
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
