import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import PylonGateway
@testable import PylonProxy

/// A request counts as in flight on one target at a time, through the gateway's phases as
/// the proxy calls them: a connect that fails and is retried on another target leaves the
/// first, and once the request is logged neither target counts it any more.
final class LeastConnectionsRetryTests: XCTestCase {
    private func makeGateway(balance: String) throws -> Gateway {
        let config = try ConfigLoader.parse(yaml: """
            listeners: [{name: http, address: "127.0.0.1:6191"}]
            upstreams:
              api: {targets: ["127.0.0.1:9001", "127.0.0.1:9002"], balance: \(balance), retries: 1}
            routes:
              - {path_prefix: /, upstream: api}
            """, file: "gateway.yaml")
        let segment = try SharedMemorySegment.anonymous()
        return try Gateway(config: config, sharedMemory: segment, metrics: GatewayMetrics(sharedMemory: segment), accessLog: nil)
    }

    private func session() -> ProxySession {
        ProxySession(
            request: RequestHead(version: .http1_1, method: .POST, uri: "/orders", headers: [:]),
            clientAddress: nil, clientIP: "127.0.0.1", proxyProtocolSource: nil, proxyProtocolSourceIP: nil, localAddress: nil,
            listenerName: "http", scheme: "http", eventLoop: EmbeddedEventLoop(), requestIndexOnConnection: 0
        )
    }

    private func assertRetriedRequestIsCountedOnce(balance: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let gateway = try makeGateway(balance: balance)
        let upstream = gateway.upstreams[0]
        let session = self.session()
        var ctx = gateway.makeContext()
        try gateway.earlyRequestFilter(session, &ctx)
        guard case .proceed = try gateway.requestFilter(session, &ctx) else { return XCTFail("not proxied", file: file, line: line) }

        let first = try gateway.upstreamPeer(session, &ctx)
        let firstIndex = try XCTUnwrap(upstream.peers.firstIndex { $0.name == first.name }, file: file, line: line)
        XCTAssertEqual(upstream.health.map(\.inFlight), firstIndex == 0 ? [1, 0] : [0, 1], "sent to \(first.name)", file: file, line: line)

        let retry = gateway.failToConnect(session, peer: first, error: ProxyError(.connectFailed, "refused"), &ctx)
        XCTAssertTrue(retry, "one retry is left and another target is servable", file: file, line: line)
        XCTAssertEqual(upstream.health.map(\.inFlight), [0, 0], "the failed connect left its target", file: file, line: line)

        let second = try gateway.upstreamPeer(session, &ctx)
        XCTAssertNotEqual(second.name, first.name, "the retry goes to the other target", file: file, line: line)
        XCTAssertEqual(upstream.health.map(\.inFlight).reduce(0, +), 1, "in flight on one target only", file: file, line: line)

        let record = ProxyLogRecord(status: 201, responseBodyBytes: 2, requestBodyBytes: 0, duration: .milliseconds(3), peer: second, error: nil)
        gateway.logging(session, record, &ctx)
        XCTAssertEqual(upstream.health.map(\.inFlight), [0, 0], "the finished request counts nowhere", file: file, line: line)
    }

    func testLeastConnectionsCountsARetriedRequestOnce() throws {
        try assertRetriedRequestIsCountedOnce(balance: "least_connections")
    }

    func testPowerOfTwoCountsARetriedRequestOnce() throws {
        try assertRetriedRequestIsCountedOnce(balance: "power_of_two")
    }

    func testARequestThatFailsOnEveryTargetCountsNowhereOnceLogged() throws {
        let gateway = try makeGateway(balance: "least_connections")
        let upstream = gateway.upstreams[0]
        let session = self.session()
        var ctx = gateway.makeContext()
        _ = try gateway.requestFilter(session, &ctx)
        let first = try gateway.upstreamPeer(session, &ctx)
        XCTAssertTrue(gateway.failToConnect(session, peer: first, error: ProxyError(.connectFailed, "refused"), &ctx))
        let second = try gateway.upstreamPeer(session, &ctx)
        XCTAssertFalse(gateway.failToConnect(session, peer: second, error: ProxyError(.connectFailed, "refused"), &ctx), "no retry left")
        let record = ProxyLogRecord(
            status: 502, responseBodyBytes: 0, requestBodyBytes: 0, duration: .milliseconds(1), peer: second,
            error: ProxyError(.connectFailed, "refused")
        )
        gateway.logging(session, record, &ctx)
        XCTAssertEqual(upstream.health.map(\.inFlight), [0, 0])
    }
}
