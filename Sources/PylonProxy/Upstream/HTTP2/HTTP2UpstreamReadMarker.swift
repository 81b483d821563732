import NIOCore

/// Sits in front of `NIOHTTP2Handler` on an upstream connection and tells the connection
/// when a read begins (its end reaches `HTTP2UpstreamConnection.channelReadComplete`):
/// behind nio-http2 only frames of the root stream arrive, so the connection would not
/// otherwise know that a read of stream frames is under way.
final class HTTP2UpstreamReadMarker: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    weak var connection: HTTP2UpstreamConnection?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.connection?.readBegan()
        context.fireChannelRead(data)
    }
}
