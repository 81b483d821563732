import NIOCore
import NIOHTTP1

/// Lets an upstream stream whose request and response have both ended close by itself.
///
/// `UpstreamConnection` closes its connection when a response ends and the connection is
/// not to be reused, as it must for HTTP/1.1. For a stream that is already complete both
/// ways, nio-http2 closes it anyway; closing the stream's channel first would send a
/// RST_STREAM for every request, which servers count against their rapid-reset limits
/// (nio-http2's own closes the connection after 200 in 30 s). A stream the upstream ended
/// before the request was sent whole is still closed (RST_STREAM CANCEL): the rest of the
/// request is not wanted.
final class HTTP2UpstreamStreamClosing: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private var requestEnded = false
    private var responseEnded = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = self.unwrapInboundIn(data) { self.responseEnded = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) { self.requestEnded = true }
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard self.requestEnded, self.responseEnded else {
            context.close(mode: mode, promise: promise)
            return
        }
        // The END_STREAM may still wait for the flush at the end of this read cycle.
        context.flush()
        promise?.succeed()
    }
}
