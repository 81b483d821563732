import NIOCore

/// Sits between TLS and nio-http2 on an HTTP/2 client connection and makes the flushes of
/// one event-loop tick one flush.
///
/// Each stream flushes when its response is written, from the read of its upstream socket.
/// Under load many upstream sockets turn readable together, and every stream's flush would
/// be a TLS record and a write(2) of its own: the write and the loopback send under it
/// cost more than the rest of the response. Held until the loop has handled every socket
/// that was ready (a task runs after the I/O of its tick), the responses go out together.
final class HTTP2FlushCoalescer: ChannelOutboundHandler {
    typealias OutboundIn = IOData

    private var flushScheduled = false

    func flush(context: ChannelHandlerContext) {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            self.flushNow(context: context)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // What was written goes out before the close, as it would have without the wait.
        self.flushNow(context: context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.flushScheduled = false
    }

    private func flushNow(context: ChannelHandlerContext) {
        guard self.flushScheduled else { return }
        self.flushScheduled = false
        context.flush()
    }
}
