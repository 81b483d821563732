import Logging
import NIOCore
import NIOEmbedded
import XCTest

@testable import PylonProxy

/// `ProxyProtocolHandler` in a pipeline: a trusted peer's header reaches the next handler
/// as an event, followed by exactly the bytes after it, and the handler leaves the
/// pipeline; untrusted peers, bad headers and slow headers close the connection.
final class ProxyProtocolHandlerTests: XCTestCase {
    /// Records what passes the handler under test.
    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var headers: [ProxyProtocolHeader] = []
        var bytes: [UInt8] = []
        var activeCount = 0

        func channelActive(context: ChannelHandlerContext) { self.activeCount += 1 }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.bytes += self.unwrapInboundIn(data).readableBytesView
        }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let header = event as? ProxyProtocolHeader { self.headers.append(header) }
        }
    }

    private static let trustedPeer = try! SocketAddress(ipAddress: "10.0.0.5", port: 40000)
    private static let untrustedPeer = try! SocketAddress(ipAddress: "198.51.100.9", port: 40000)

    private func makeChannel(peer: SocketAddress, timeout: TimeAmount = .seconds(3)) throws -> (EmbeddedChannel, Recorder) {
        let policy = ProxyProtocolPolicy(timeout: timeout) { $0.ipAddress?.hasPrefix("10.") ?? false }
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        try channel.pipeline.syncOperations.addHandler(ProxyProtocolHandler(policy: policy, timeout: .seconds(10), logger: logger))
        try channel.pipeline.syncOperations.addHandler(recorder)
        // An embedded channel's remote address is the one it "connects" to.
        try channel.connect(to: peer).wait()
        return (channel, recorder)
    }

    func testTrustedPeerHeaderIsAnEventFollowedByTheRestAndTheHandlerLeaves() throws {
        let (channel, recorder) = try makeChannel(peer: Self.trustedPeer)
        XCTAssertEqual(recorder.activeCount, 1)
        try channel.writeInbound(ByteBuffer(string: "PROXY TCP4 203.0.113.7 10.0.0.1 5000 80\r\nGET"))
        XCTAssertEqual(recorder.headers.map { $0.source?.ipAddress }, ["203.0.113.7"])
        XCTAssertEqual(String(decoding: recorder.bytes, as: UTF8.self), "GET")
        XCTAssertThrowsError(try channel.pipeline.syncOperations.handler(type: ProxyProtocolHandler.self), "removed after the header")
        try channel.writeInbound(ByteBuffer(string: " / HTTP/1.1\r\n"))
        XCTAssertEqual(String(decoding: recorder.bytes, as: UTF8.self), "GET / HTTP/1.1\r\n", "later bytes pass untouched")
        XCTAssertTrue(channel.isActive)
        _ = try? channel.finish()
    }

    func testHeaderSplitAcrossReadsIsAssembled() throws {
        let (channel, recorder) = try makeChannel(peer: Self.trustedPeer)
        for piece in ["PRO", "XY TCP6 2001:db8::7 ::1 1", " 2\r", "\nx"] {
            try channel.writeInbound(ByteBuffer(string: piece))
        }
        XCTAssertEqual(recorder.headers.map { $0.source?.ipAddress }, ["2001:db8::7"])
        XCTAssertEqual(recorder.bytes, Array("x".utf8))
        _ = try? channel.finish()
    }

    func testUntrustedPeerIsClosedBeforeAnythingIsRead() throws {
        let (channel, recorder) = try makeChannel(peer: Self.untrustedPeer)
        XCTAssertFalse(channel.isActive, "closed at once")
        XCTAssertEqual(recorder.activeCount, 0, "the HTTP side never starts")
        XCTAssertEqual(recorder.headers, [])
    }

    func testGarbageAndPlainHTTPCloseTheConnection() throws {
        for input in ["GET / HTTP/1.1\r\nHost: a\r\n\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY UNKNOWN " + String(repeating: "x", count: 200)] {
            let (channel, recorder) = try makeChannel(peer: Self.trustedPeer)
            _ = try? channel.writeInbound(ByteBuffer(string: input))
            XCTAssertFalse(channel.isActive, input)
            XCTAssertEqual(recorder.headers, [], input)
            XCTAssertEqual(recorder.bytes, [], "nothing reaches HTTP: \(input)")
        }
    }

    func testHeaderThatDoesNotArriveInTimeClosesTheConnection() throws {
        let (channel, recorder) = try makeChannel(peer: Self.trustedPeer, timeout: .seconds(3))
        try channel.writeInbound(ByteBuffer(string: "PROXY TCP4 "))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2900))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.headers, [])
    }

    func testLocalHeaderIsAnEventWithoutSource() throws {
        let (channel, recorder) = try makeChannel(peer: Self.trustedPeer)
        let local: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00]
        try channel.writeInbound(ByteBuffer(bytes: local))
        XCTAssertEqual(recorder.headers.count, 1)
        XCTAssertNil(recorder.headers.first?.source)
        XCTAssertTrue(channel.isActive)
        _ = try? channel.finish()
    }
}
