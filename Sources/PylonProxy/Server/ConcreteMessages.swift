import NIOCore
import NIOHTTP2

/// NIO's type-assisted wrapping and unwrapping of channel messages, for the generic
/// handlers (`HTTP1ProxyConnection`, `HTTP2StreamProxy`).
///
/// Their own `wrapOutboundOut` and `unwrapInboundIn` run unspecialised (the handler's
/// type is generic over the proxy) and test the message's type with dynamic casts on every
/// call: several per request. Here the type is concrete, so the test folds away.
enum ConcreteMessages {
    static func wrap(_ buffer: ByteBuffer) -> NIOAny { NIOAny(buffer) }

    static func wrap(_ payload: HTTP2Frame.FramePayload) -> NIOAny { NIOAny(payload) }

    static func bytes(_ data: NIOAny) -> ByteBuffer { BytesIn.unwrapInboundIn(data) }

    static func payload(_ data: NIOAny) -> HTTP2Frame.FramePayload { PayloadIn.unwrapInboundIn(data) }

    /// Never made: only lends its concrete `InboundIn` to NIO's static unwrapping.
    private final class BytesIn: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
    }

    private final class PayloadIn: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame.FramePayload
    }
}
