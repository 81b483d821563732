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

    /// Serves `proxy` on `channel` as a client connection, which connects and sends a GET;
    /// the channel's pipeline holds the handler returned.
    private func serveAGet<Proxy: ProxyHTTP>(
        _ proxy: Proxy, on channel: EmbeddedChannel, pool: UpstreamPool
    ) throws -> HTTP1ProxyConnection {
        let handler = HTTP1ProxyConnection(
            phases: ProxyPhases(proxy), configuration: ProxyServerConfiguration(), pool: pool, listenerName: "test",
            scheme: "http", logger: self.logger
        )
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: try SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"))
        return handler
    }

    func testAClosedHTTP11ConnectionsHandlerIsFreed() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        weak var weakHandler: HTTP1ProxyConnection?
        weakHandler = try self.serveAGet(LocalAnswers(), on: channel, pool: UpstreamPool(eventLoop: loop, logger: self.logger))
        loop.run()
        let response = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
        XCTAssertTrue(String(buffer: response).hasPrefix("HTTP/1.1 200"), String(buffer: response))

        _ = try channel.finish(acceptAlreadyClosed: true)
        loop.run()
        XCTAssertNil(weakHandler, "the handler outlived its closed connection")
    }

    /// Sends every request to one peer.
    private struct ToOnePeer: ProxyHTTP {
        let peer: HTTPPeer

        func makeContext() -> TrackedContext { TrackedContext() }

        func upstreamPeer(_ session: ProxySession, _ ctx: inout TrackedContext) throws -> HTTPPeer { self.peer }
    }

    /// The client connection and the upstream connection hold each other while a response
    /// is relayed; a client that leaves mid-response must not leave the two in memory.
    func testAClientThatClosesMidResponseLeavesNeitherConnectionInMemory() throws {
        let loop = EmbeddedEventLoop()
        let client = EmbeddedChannel(loop: loop)
        let upstream = EmbeddedChannel(loop: loop)
        let before = TrackedContext.alive
        weak var weakHandler: HTTP1ProxyConnection?
        weak var weakConnection: UpstreamConnection?
        do {
            let peer = HTTPPeer(address: try SocketAddress(ipAddress: "192.0.2.9", port: 80))
            try upstream.connect(to: peer.address).wait()
            let pool = UpstreamPool(eventLoop: loop, logger: self.logger)
            let connection = UpstreamConnection(peer: peer, headBuffers: pool.headBuffers)
            weakConnection = connection
            try upstream.pipeline.syncOperations.addHandler(connection)
            pool.giveBackUnused(connection)
            weakHandler = try self.serveAGet(ToOnePeer(peer: peer), on: client, pool: pool)
        }
        loop.run()
        let request = try XCTUnwrap(upstream.readOutbound(as: ByteBuffer.self))
        XCTAssertTrue(String(buffer: request).hasPrefix("GET / HTTP/1.1"), String(buffer: request))
        try upstream.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst ten."))
        loop.run()
        XCTAssertEqual(TrackedContext.alive, before + 1, "the exchange is under way")

        _ = try client.finish(acceptAlreadyClosed: true)
        loop.run()
        XCTAssertFalse(upstream.isActive, "a response no one will read is not read on")
        _ = try? upstream.finish(acceptAlreadyClosed: true)
        loop.run()
        XCTAssertNil(weakHandler, "the client connection's handler outlived both connections")
        XCTAssertNil(weakConnection, "the upstream connection outlived both connections")
        XCTAssertEqual(TrackedContext.alive, before, "the request outlived both connections")
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

    /// Takes a response and does nothing with it.
    private final class DiscardingSink: UpstreamResponseSink {
        var ended = false
        func upstreamResponseHead(_ head: consuming ResponseHead, contentLength: Int?) {}
        func upstreamResponseBody(_ body: ByteBuffer) {}
        func upstreamResponseEnd(trailers: HTTPHeaders?) { self.ended = true }
        func upstreamReadComplete() {}
        func upstreamFailed(_ error: ProxyError) {}
        func upstreamWritabilityChanged(isWritable: Bool) {}
    }

    func testAnHTTP2UpstreamStreamIsFreedWithItsResponseNotAtItsReadTimeout() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let sink = DiscardingSink()
        weak var weakConnection: UpstreamConnection?
        do {
            let peer = HTTPPeer(address: try SocketAddress(ipAddress: "192.0.2.8", port: 443), httpVersion: .http2)
            let connection = UpstreamConnection(peer: peer, isHTTP2Stream: true)
            weakConnection = connection
            try channel.pipeline.syncOperations.addHandler(connection)
            connection.begin(sink: sink, readTimeout: .seconds(30))
            connection.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")))
            connection.write(.end(nil))
            connection.receive(.head(HTTPResponseHead(version: .http1_1, status: .ok)))
            connection.receive(.end(nil))
        }
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        // The response closed the stream; its handlers are gone. (Finishing the embedded
        // channel would run every scheduled task, a pending read timer included.)
        loop.run()
        XCTAssertTrue(sink.ended)
        XCTAssertFalse(channel.isActive)
        XCTAssertNil(weakConnection, "the stream's connection waits in its read timer for 30 s")
    }
}
