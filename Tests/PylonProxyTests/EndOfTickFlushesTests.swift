import Logging
import NIOCore
import NIOEmbedded
import XCTest

@testable import PylonProxy

/// The HTTP/1.1 flushes of an event loop's tick are made together once the loop has
/// handled every ready socket, so each peer process is woken once per batch of requests
/// instead of once per request.
final class EndOfTickFlushesTests: XCTestCase {
    /// Records its flushes in a shared log.
    private final class Flushable: EndOfTickFlushing {
        let name: String
        let log: FlushLog
        var flushQueued = false
        /// Run at this one's flush, once: queues more from inside a flush.
        var onFlush: (() -> Void)?

        init(_ name: String, log: FlushLog) {
            self.name = name
            self.log = log
        }

        func flushAtEndOfTick() {
            self.log.names.append(self.name)
            let onFlush = self.onFlush
            self.onFlush = nil
            onFlush?()
        }
    }

    private final class FlushLog {
        var names: [String] = []
    }

    func testQueuedFlushesWaitForTheEndOfTheTickAndRunInTheOrderAsked() {
        let loop = EmbeddedEventLoop()
        let flushes = EndOfTickFlushes(eventLoop: loop)
        let log = FlushLog()
        flushes.flushAtEndOfTick(Flushable("a", log: log))
        flushes.flushAtEndOfTick(Flushable("b", log: log))
        XCTAssertEqual(log.names, [], "a flush was made before the tick's other events were handled")
        loop.run()
        XCTAssertEqual(log.names, ["a", "b"])
    }

    func testAnItemAskedForTwiceInATickIsFlushedOnceAndAgainInTheNextTick() {
        let loop = EmbeddedEventLoop()
        let flushes = EndOfTickFlushes(eventLoop: loop)
        let log = FlushLog()
        let item = Flushable("a", log: log)
        flushes.flushAtEndOfTick(item)
        flushes.flushAtEndOfTick(item)
        loop.run()
        XCTAssertEqual(log.names, ["a"])
        flushes.flushAtEndOfTick(item)
        loop.run()
        XCTAssertEqual(log.names, ["a", "a"], "an item flushed once was never queued again")
    }

    func testAFlushAskedForWhileFlushingIsMadeInAFollowingTask() {
        let loop = EmbeddedEventLoop()
        let flushes = EndOfTickFlushes(eventLoop: loop)
        let log = FlushLog()
        let first = Flushable("first", log: log)
        let second = Flushable("second", log: log)
        first.onFlush = {
            flushes.flushAtEndOfTick(first)
            flushes.flushAtEndOfTick(second)
        }
        flushes.flushAtEndOfTick(first)
        loop.run()
        XCTAssertEqual(log.names, ["first", "first", "second"])
    }

    // MARK: Through the proxy

    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Two client connections of one loop, each with a pooled upstream connection of its own.
    private struct TwoConnections {
        let loop = EmbeddedEventLoop()
        let clients: [EmbeddedChannel]
        let upstreams: [EmbeddedChannel]

        init(logger: Logger) throws {
            let peerAddress = try SocketAddress(ipAddress: "192.0.2.80", port: 80)
            let peer = HTTPPeer(address: peerAddress)
            let pool = UpstreamPool(eventLoop: self.loop, logger: logger)
            var clients: [EmbeddedChannel] = []
            var upstreams: [EmbeddedChannel] = []
            for index in 0..<2 {
                let upstream = EmbeddedChannel(loop: self.loop)
                try upstream.connect(to: peerAddress).wait()
                let connection = UpstreamConnection(peer: peer, headBuffers: pool.headBuffers)
                try upstream.pipeline.syncOperations.addHandler(connection)
                pool.giveBackUnused(connection)
                let client = EmbeddedChannel(loop: self.loop)
                try client.connect(to: try SocketAddress(ipAddress: "192.0.2.7", port: 40_000 + index)).wait()
                try client.pipeline.syncOperations.addHandler(
                    HTTP1ProxyConnection(
                        phases: ProxyPhases(SinglePeerProxy(peer: peer)), configuration: ProxyServerConfiguration(), pool: pool,
                        listenerName: "http", scheme: "http", logger: logger
                    )
                )
                clients.append(client)
                upstreams.append(upstream)
            }
            self.clients = clients
            self.upstreams = upstreams
        }

        func finish() {
            for channel in self.clients + self.upstreams { _ = try? channel.finish(acceptAlreadyClosed: true) }
            self.loop.run()
        }
    }

    private func outbound(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: bytes) }
        return text
    }

    func testRequestsReadInOneTickReachTheirUpstreamsTogetherWhenTheTickEnds() throws {
        let pair = try TwoConnections(logger: self.logger)
        defer { pair.finish() }
        for client in pair.clients {
            try client.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n"))
        }
        // Both read cycles are over, and the loop has not reached the end of its tick.
        for upstream in pair.upstreams {
            XCTAssertEqual(try self.outbound(upstream), "", "a request went upstream before the tick ended")
        }
        pair.loop.run()
        for upstream in pair.upstreams {
            XCTAssertTrue(try self.outbound(upstream).hasPrefix("GET /a HTTP/1.1\r\n"), "a request never went upstream")
        }
    }

    func testResponsesReadInOneTickReachTheirClientsTogetherWhenTheTickEnds() throws {
        let pair = try TwoConnections(logger: self.logger)
        defer { pair.finish() }
        for client in pair.clients {
            try client.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n"))
        }
        pair.loop.run()
        for upstream in pair.upstreams {
            _ = try self.outbound(upstream)
            try upstream.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
        }
        for client in pair.clients {
            XCTAssertEqual(try self.outbound(client), "", "a response went out before the tick ended")
        }
        pair.loop.run()
        for client in pair.clients {
            let response = try self.outbound(client)
            XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
            XCTAssertTrue(response.hasSuffix("\r\n\r\nhello"), response)
        }
    }
}
