import NIOCore
import NIOHTTP2
import XCTest

@testable import PylonProxy

/// `HTTP2ClientConnection` behind nio-http2 on an embedded event loop, time moved by hand:
/// the settings a client is sent, keep-alive PINGs, the idle close and the maximum age.
final class HTTP2ClientConnectionTests: XCTestCase {
    private var pair: HTTP2ConnectionPair?

    override func tearDown() {
        self.pair?.finish()
        self.pair = nil
        super.tearDown()
    }

    private func connect(_ http2: HTTP2ServerConfiguration, idleTimeout: TimeAmount = .seconds(3600)) throws -> HTTP2ConnectionPair {
        let pair = try HTTP2ConnectionPair(http2: http2, idleTimeout: idleTimeout)
        self.pair = pair
        return pair
    }

    private func keepAlive(interval: Int64, timeout: Int64) -> HTTP2ServerConfiguration {
        var http2 = HTTP2ServerConfiguration()
        http2.keepAlive = .init(interval: .seconds(interval), timeout: .seconds(timeout))
        return http2
    }

    // MARK: Settings

    func testTheClientIsSentTheConfiguredSettingsAndConnectionWindow() throws {
        var http2 = HTTP2ServerConfiguration()
        http2.maxConcurrentStreams = 7
        http2.initialStreamWindow = 100_000
        http2.maxFrameSize = 32_768
        http2.maxHeaderListSize = 20_000
        http2.connectionWindow = 2 << 20
        let pair = try connect(http2)

        let settings = pair.clientFrames.frames.compactMap { frame -> HTTP2Settings? in
            if case .settings(.settings(let settings)) = frame.payload { return settings }
            return nil
        }
        XCTAssertEqual(settings.count, 1)
        let values = Dictionary(uniqueKeysWithValues: (settings.first ?? []).map { ($0.parameter, $0.value) })
        XCTAssertEqual(values[.maxConcurrentStreams], 7)
        XCTAssertEqual(values[.initialWindowSize], 100_000)
        XCTAssertEqual(values[.maxFrameSize], 32_768)
        XCTAssertEqual(values[.maxHeaderListSize], 20_000)
        XCTAssertEqual(values[.enablePush], 0)
        // The connection window is raised from its fixed start at once.
        let updates = pair.clientFrames.frames.compactMap { frame -> Int? in
            if case .windowUpdate(let increment) = frame.payload, frame.streamID == .rootStream { return increment }
            return nil
        }
        XCTAssertEqual(updates, [(2 << 20) - 65_535])
    }

    func testTheDefaultHeaderListLimitFollowsTheHTTP1Limits() {
        let limits = HTTP1RequestParser.Limits(maxRequestLine: 1000, maxHeaderBytes: 5000)
        XCTAssertEqual(HTTP2ServerLimits.maxHeaderListSize(HTTP2ServerConfiguration(), parserLimits: limits), 6000)
    }

    // MARK: Keep-alive PINGs

    func testAQuietClientIsPingedAfterTheIntervalAndKeptWhenItAnswers() throws {
        let pair = try connect(keepAlive(interval: 10, timeout: 5))
        try pair.advance(by: .milliseconds(9_900))
        XCTAssertEqual(pair.pingsToClient, 0)
        try pair.advance(by: .milliseconds(200))
        XCTAssertEqual(pair.pingsToClient, 1, "a PING after 10s of quiet")
        // nio-http2's client acknowledged it; the connection stays.
        try pair.advance(by: .seconds(6))
        XCTAssertTrue(pair.server.isActive)
        // Quiet again since the ACK: the next PING comes an interval after it.
        try pair.advance(by: .seconds(4))
        XCTAssertEqual(pair.pingsToClient, 2)
        XCTAssertTrue(pair.server.isActive)
        XCTAssertEqual(pair.logLines.lines, [])
    }

    func testAClientThatNeverAnswersThePingIsClosedAfterTheTimeoutAndLogged() throws {
        let pair = try connect(keepAlive(interval: 10, timeout: 5))
        pair.clientIsListening = false
        try pair.advance(by: .milliseconds(10_100))
        XCTAssertTrue(pair.server.isActive)
        try pair.advance(by: .milliseconds(4_800))
        XCTAssertTrue(pair.server.isActive, "the client has until the timeout")
        try pair.advance(by: .milliseconds(200))
        XCTAssertFalse(pair.server.isActive, "no answer within 5s: closed")
        XCTAssertEqual(pair.logLines.lines, ["HTTP/2 client did not answer a keep-alive PING; closing"])
    }

    func testAClientThatKeepsTalkingIsNeverPinged() throws {
        let pair = try connect(keepAlive(interval: 10, timeout: 5))
        for _ in 0..<6 {
            try pair.advance(by: .seconds(6))
            // Any frame counts; here the client's own PING.
            pair.client.writeAndFlush(HTTP2Frame(streamID: .rootStream, payload: .ping(HTTP2PingData(withInteger: 7), ack: false)), promise: nil)
            try pair.exchange()
        }
        XCTAssertEqual(pair.pingsToClient, 0)
        XCTAssertTrue(pair.server.isActive)
    }

    func testWithoutKeepAliveAQuietClientIsNeverPinged() throws {
        let pair = try connect(HTTP2ServerConfiguration())
        pair.clientIsListening = false
        try pair.advance(by: .seconds(600))
        XCTAssertEqual(pair.pingsToClient, 0)
        XCTAssertTrue(pair.server.isActive)
    }

    // MARK: Idle timeout

    func testAnIdleConnectionClosesWithGoAwayNoErrorNotABareClose() throws {
        let pair = try connect(HTTP2ServerConfiguration(), idleTimeout: .seconds(30))
        try pair.openStream(1)
        try pair.finishStream(0)
        try pair.advance(by: .seconds(29))
        XCTAssertTrue(pair.goAways.isEmpty)
        XCTAssertTrue(pair.server.isActive)
        try pair.advance(by: .seconds(2))
        XCTAssertEqual(pair.goAways.map(\.lastStreamID), [Int(Int32.max), 1])
        XCTAssertEqual(pair.goAways.map(\.errorCode), [.noError, .noError])
        pair.loop.run()
        XCTAssertFalse(pair.server.isActive)
    }

    // MARK: The client closing its side

    func testAClientThatClosesItsSideWithNoStreamOpenIsClosedAtOnce() throws {
        let pair = try connect(HTTP2ServerConfiguration())
        try pair.openStream(1)
        try pair.finishStream(0)
        XCTAssertTrue(pair.server.isActive)
        pair.server.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        pair.loop.run()
        XCTAssertFalse(pair.server.isActive, "not left half-open until the idle timeout")
    }

    func testAClientThatClosesItsSideStillGetsItsOpenStreamThenTheConnectionCloses() throws {
        let pair = try connect(HTTP2ServerConfiguration())
        try pair.openStream(1)
        pair.server.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        pair.loop.run()
        XCTAssertTrue(pair.server.isActive, "the open stream is still answered")
        try pair.finishStream(0)
        pair.loop.run()
        XCTAssertFalse(pair.server.isActive, "closed with its last stream")
    }

    // MARK: Maximum age

    func testTheMaximumAgeSendsTwoGoAwaysAndTheOpenStreamFinishesFirst() throws {
        var http2 = HTTP2ServerConfiguration()
        http2.maxConnectionAge = .seconds(100)
        let pair = try connect(http2)
        try pair.openStream(1)
        // The age is spread by ±10 %: nothing before 90s.
        try pair.advance(by: .milliseconds(89_900))
        XCTAssertTrue(pair.goAways.isEmpty)
        try pair.advance(by: .milliseconds(20_200))
        // "No new streams, all you sent are taken", a PING, then (on its ACK) the real last stream.
        XCTAssertEqual(pair.goAways.map(\.lastStreamID), [Int(Int32.max), 1])
        XCTAssertEqual(pair.goAways.map(\.errorCode), [.noError, .noError])
        XCTAssertTrue(pair.server.isActive, "stream 1 is still being answered")
        try pair.advance(by: .seconds(3600))
        XCTAssertTrue(pair.server.isActive, "without a grace period the stream may take its time")

        try pair.finishStream(0)
        pair.loop.run()
        try pair.exchange()
        XCTAssertFalse(pair.server.isActive, "closed with its last stream")
        let endedStreams = pair.clientFrames.frames.filter {
            if case .headers(let headers) = $0.payload { return headers.endStream }
            return false
        }
        XCTAssertEqual(endedStreams.map(\.streamID), [HTTP2StreamID(1)], "the response reached the client")
    }

    func testTheGracePeriodEndsAConnectionWhoseStreamRunsOn() throws {
        var http2 = HTTP2ServerConfiguration()
        http2.maxConnectionAge = .seconds(10)
        http2.maxConnectionAgeGrace = .seconds(100)
        let pair = try connect(http2)
        try pair.openStream(1)
        try pair.advance(by: .milliseconds(11_100))
        XCTAssertEqual(pair.goAways.count, 2)
        // The age came between 9s and 11s; its grace ends between 109s and 111s.
        try pair.advance(by: .milliseconds(97_800))
        XCTAssertTrue(pair.server.isActive)
        try pair.advance(by: .milliseconds(2_200))
        XCTAssertFalse(pair.server.isActive)
        XCTAssertEqual(pair.logLines.lines, ["HTTP/2 connection past its maximum age and grace; closing"])
    }

    func testTheMaximumAgeIsSpreadByAtMostTenPercent() {
        let ages = (0..<1000).map { _ in HTTP2ClientConnection.spread(.seconds(100)).nanoseconds }
        XCTAssertGreaterThanOrEqual(ages.min() ?? 0, TimeAmount.seconds(90).nanoseconds)
        XCTAssertLessThanOrEqual(ages.max() ?? .max, TimeAmount.seconds(110).nanoseconds)
        XCTAssertGreaterThan(Set(ages).count, 900, "spread, not fixed")
    }
}
