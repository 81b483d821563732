import PylonGateway
import XCTest

/// The upstream key `protocol`: `http1` (the default) or `http2`.
final class UpstreamProtocolConfigTests: XCTestCase {
    func testUpstreamsSpeakHTTP1UnlessToldOtherwise() throws {
        XCTAssertEqual(try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]").httpProtocol, .http1)
        XCTAssertEqual(try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nprotocol: http1").httpProtocol, .http1)
    }

    func testHTTP2LoadsWithAndWithoutTLS() throws {
        XCTAssertEqual(try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nprotocol: http2").httpProtocol, .http2)
        let secure = try loadSingleUpstream("targets: [\"127.0.0.1:9443\"]\nprotocol: http2\ntls: {verify: false}")
        XCTAssertEqual(secure.httpProtocol, .http2)
        XCTAssertNotNil(secure.tls)
    }

    func testAnUnknownProtocolIsReportedAtItsValue() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nprotocol: h2c"))
        assertConfigProblem(found, at: 5, 15, contains: "upstreams.api.protocol: \"h2c\" is not one of \"http1\", \"http2\"")
    }

    func testAProtocolThatIsNotAScalarIsReported() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nprotocol: [http2]"))
        assertConfigProblem(found, at: 5, 15, contains: "upstreams.api.protocol")
    }
}

/// The upstream key `ping_interval`: HTTP/2 connections' liveness PINGs, off by default.
final class UpstreamPingIntervalConfigTests: XCTestCase {
    func testHTTP2UpstreamsSendNoPingsUnlessAnIntervalIsSet() throws {
        XCTAssertNil(try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nprotocol: http2").pingInterval)
        let pinging = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_interval: 15s")
        XCTAssertEqual(pinging.pingInterval, .seconds(15))
    }

    func testAPingIntervalOnAnHTTP1UpstreamIsReportedAtItsValue() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nping_interval: 15s"))
        assertConfigProblem(found, at: 5, 20, contains: "upstreams.api.ping_interval: ping_interval applies to protocol: http2 only")
    }

    func testAPingIntervalBelow100msIsReported() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_interval: 50ms"))
        assertConfigProblem(found, at: 6, 20, contains: "upstreams.api.ping_interval: a ping_interval below 100ms")
    }

    func testAMalformedPingIntervalIsReported() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_interval: soon"))
        assertConfigProblem(found, at: 6, 20, contains: "upstreams.api.ping_interval")
    }
}
