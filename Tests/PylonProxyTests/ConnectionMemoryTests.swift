import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import XCTest

@testable import PylonProxy

/// What a client connection or stream held is freed once it closes: a handler that kept
/// its channel context past removal formed a cycle with it, and every connection (and
/// every HTTP/2 stream) a worker ever served stayed in memory.
final class ConnectionMemoryTests: XCTestCase {
    /// A request's context, counted while alive.
    final class TrackedContext {
        nonisolated(unsafe) static var alive = 0
        init() { Self.alive += 1 }
        deinit { Self.alive -= 1 }
    }

    /// Answers every request itself with a short 200.
    private struct LocalAnswers: ProxyHTTP {
        struct NoPeer: Error {}

        func makeContext() -> TrackedContext { TrackedContext() }

        func requestFilter(_ session: ProxySession, _ ctx: inout TrackedContext) throws -> RequestFilterResult {
            .respond(ProxyResponse(status: .ok, body: ByteBuffer(string: "ok")))
        }

        func upstreamPeer(_ session: ProxySession, _ ctx: inout TrackedContext) throws -> HTTPPeer {
            throw NoPeer()
        }
    }

    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func testAClosedHTTP11ConnectionsHandlerIsFreed() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        weak var weakHandler: HTTP1ProxyConnection<LocalAnswers>?
        do {
            let handler = HTTP1ProxyConnection(
                proxy: LocalAnswers(), configuration: ProxyServerConfiguration(),
                pool: UpstreamPool(eventLoop: loop, logger: self.logger), listenerName: "test", scheme: "http", logger: self.logger
            )
            weakHandler = handler
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try channel.connect(to: try SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"))
        loop.run()
        let response = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
        XCTAssertTrue(String(buffer: response).hasPrefix("HTTP/1.1 200"), String(buffer: response))

        _ = try channel.finish(acceptAlreadyClosed: true)
        loop.run()
        XCTAssertNil(weakHandler, "the handler outlived its closed connection")
    }

    func testEveryFinishedHTTP2StreamsRequestIsFreed() throws {
        let before = TrackedContext.alive
        let pair = try HTTP2ConnectionPair(proxy: LocalAnswers())
        defer { pair.finish() }
        for stream in stride(from: 1, through: 9, by: 2) {
            let get = HPACKHeaders([(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "a.test")])
            pair.client.writeAndFlush(HTTP2Frame(streamID: HTTP2StreamID(stream), payload: .headers(.init(headers: get, endStream: true))), promise: nil)
            try pair.exchange()
        }
        pair.loop.run()
        let answered = pair.clientFrames.frames.filter {
            if case .headers(let headers) = $0.payload { return headers.headers.first(name: ":status") == "200" }
            return false
        }
        XCTAssertEqual(answered.count, 5)
        XCTAssertEqual(TrackedContext.alive, before, "requests of closed streams are still in memory")
    }
}
