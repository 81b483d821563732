import NIOCore
import NIOHTTP1

/// Hands the response parts an HTTP/2 upstream stream decodes to its `UpstreamConnection`.
///
/// `UpstreamConnection` reads bytes (it parses HTTP/1.1 responses itself), so on a stream,
/// where nio-http2's codec has already turned frames into HTTP/1 parts, they reach it by
/// this direct call instead of through the pipeline. Every other event passes on.
final class HTTP2UpstreamStreamRelay: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let connection: UpstreamConnection

    init(to connection: UpstreamConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.connection.receive(self.unwrapInboundIn(data))
    }
}
