import NIOCore

/// Sits between TLS and nio-http2 on an HTTP/2 client connection and makes the flushes of
/// one event-loop tick one flush.
///
/// Each stream flushes when its response is written, from the read of its upstream socket.
/// Under load many upstream sockets turn readable together, and every stream's flush would
/// be a TLS record and a write(2) of its own: the write and the loopback send under it
/// cost more than the rest of the response. Held in the loop's `EndOfTickFlushes` until
/// the loop has handled every socket that was ready, the responses go out together, with
/// the loop's HTTP/1.1 flushes.
final class HTTP2FlushCoalescer: ChannelOutboundHandler, EndOfTickFlushing {
    typealias OutboundIn = IOData

    private let flushes: EndOfTickFlushes
    private var context: ChannelHandlerContext?
    /// A flush was asked for and not made yet.
    private var flushOwed = false
    var flushQueued = false

    init(flushes: EndOfTickFlushes) {
        self.flushes = flushes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.flushOwed = false
    }

    func flush(context: ChannelHandlerContext) {
        self.flushOwed = true
        self.flushes.flushAtEndOfTick(self)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // What was written goes out before the close, as it would have without the wait.
        self.flushAtEndOfTick()
        context.close(mode: mode, promise: promise)
    }

    func flushAtEndOfTick() {
        guard self.flushOwed, let context = self.context else { return }
        self.flushOwed = false
        context.flush()
    }
}
