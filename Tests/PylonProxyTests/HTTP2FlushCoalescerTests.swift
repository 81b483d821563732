import NIOCore
import NIOEmbedded
import XCTest

@testable import PylonProxy

/// `HTTP2FlushCoalescer`: the flushes of one loop tick reach the socket as one, at the end
/// of the tick with the loop's other flushes, and nothing written is left behind by a close.
final class HTTP2FlushCoalescerTests: XCTestCase {
    /// Counts the flushes that get past the coalescer, towards the socket.
    private final class FlushCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var flushes = 0

        func flush(context: ChannelHandlerContext) {
            self.flushes += 1
            context.flush()
        }
    }

    private func channel() throws -> (EmbeddedChannel, FlushCounter) {
        let counter = FlushCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(
            HTTP2FlushCoalescer(flushes: EndOfTickFlushes(eventLoop: channel.embeddedEventLoop))
        )
        return (channel, counter)
    }

    func testTheFlushesOfOneTickGoOutAsOneAfterIt() throws {
        let (channel, counter) = try channel()
        for piece in ["a", "b", "c"] {
            channel.writeAndFlush(ByteBuffer(string: piece), promise: nil)
        }
        XCTAssertEqual(counter.flushes, 0)
        XCTAssertNil(try channel.readOutbound(as: ByteBuffer.self))

        channel.embeddedEventLoop.run()
        XCTAssertEqual(counter.flushes, 1)
        var written = ""
        while let piece = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: piece) }
        XCTAssertEqual(written, "abc")

        // The next tick has a flush of its own.
        channel.writeAndFlush(ByteBuffer(string: "d"), promise: nil)
        channel.embeddedEventLoop.run()
        XCTAssertEqual(counter.flushes, 2)
        XCTAssertEqual(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }, "d")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    func testACloseFlushesWhatWasWrittenBeforeIt() throws {
        let (channel, counter) = try channel()
        channel.writeAndFlush(ByteBuffer(string: "last words"), promise: nil)
        channel.close(promise: nil)

        XCTAssertEqual(counter.flushes, 1)
        XCTAssertEqual(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }, "last words")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(counter.flushes, 1, "the held flush already went with the close")
    }
}
