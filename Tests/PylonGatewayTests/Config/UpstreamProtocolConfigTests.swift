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

/// The upstream keys `ping_interval` and `ping_timeout`: HTTP/2 connections' liveness
/// PINGs, off by default, read as a listener's `http2` keep-alive PINGs are.
final class UpstreamPingIntervalConfigTests: XCTestCase {
    func testHTTP2UpstreamsSendNoPingsUnlessAnIntervalIsSet() throws {
        let quiet = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nprotocol: http2")
        XCTAssertNil(quiet.pingInterval)
        XCTAssertEqual(quiet.pingTimeout, .seconds(20))
        let pinging = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_interval: 15s")
        XCTAssertEqual(pinging.pingInterval, .seconds(15))
        XCTAssertEqual(pinging.pingTimeout, .seconds(20), "the listener's default")
        let impatient = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_interval: 15s\nping_timeout: 2s")
        XCTAssertEqual(impatient.pingTimeout, .seconds(2))
    }

    func testAPingIntervalOnAnHTTP1UpstreamIsReportedAtItsValue() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nping_interval: 15s"))
        assertConfigProblem(found, at: 5, 20, contains: "upstreams.api.ping_interval: ping_interval applies to protocol: http2 only")
    }

    func testAPingIntervalBelowASecondIsReported() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_interval: 500ms"))
        assertConfigProblem(found, at: 6, 20, contains: "upstreams.api.ping_interval: a keep-alive PING more often than once a second looks like a PING flood to the upstream")
    }

    func testAMalformedPingIntervalIsReported() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_interval: soon"))
        assertConfigProblem(found, at: 6, 20, contains: "upstreams.api.ping_interval")
    }

    func testAPingTimeoutWithoutAnIntervalIsReported() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nprotocol: http2\nping_timeout: 5s"))
        assertConfigProblem(found, at: 6, 19, contains: "upstreams.api.ping_timeout: ping_timeout only applies to keep-alive PINGs; set ping_interval too")
    }
}
