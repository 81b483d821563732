import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import PylonProxy
import XCTest

@testable import PylonGateway

/// `UpstreamGroup.pick`: strict round robin over the targets, fair even when many event
/// loops pick at once.
final class UpstreamGroupTests: XCTestCase {
    private func peers(_ count: Int) throws -> [HTTPPeer] {
        try (0..<count).map { try HTTPPeer(address: SocketAddress(ipAddress: "127.0.0.1", port: 9001 + $0)) }
    }

    func testPickCyclesThroughTheTargetsInOrder() throws {
        let targets = try peers(3)
        let group = UpstreamGroup(name: "u", peers: targets, retries: 1)
        let picked = (0..<9).map { _ in group.pick().name }
        let names = targets.map(\.name)
        XCTAssertEqual(picked, names + names + names)
    }

    func testTwoTargetsAlternate() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(2), retries: 0)
        let picked = (0..<6).map { _ in group.pick().name }
        XCTAssertEqual(picked, ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9001", "127.0.0.1:9002"])
    }

    func testSingleTargetIsAlwaysPicked() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(1), retries: 0)
        XCTAssertEqual(Set((0..<5).map { _ in group.pick().name }), ["127.0.0.1:9001"])
    }

    func testConcurrentPicksAreSharedFairly() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(3), retries: 0)
        let counts = NIOLockedValueBox<[String: Int]>([:])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var local: [String: Int] = [:]
            for _ in 0..<3000 { local[group.pick().name, default: 0] += 1 }
            counts.withLockedValue { total in
                for (name, count) in local { total[name, default: 0] += count }
            }
        }
        XCTAssertEqual(counts.withLockedValue { $0 }, ["127.0.0.1:9001": 8000, "127.0.0.1:9002": 8000, "127.0.0.1:9003": 8000])
    }

    func testResolveKeepsTargetOrderNamesAndTimeouts() throws {
        let config = UpstreamConfig(
            name: "api",
            targets: [HostAndPort(host: "127.0.0.1", port: 9001), HostAndPort(host: "::1", port: 9002)],
            connectTimeout: .milliseconds(250), readTimeout: .seconds(5), retries: 2
        )
        let group = try UpstreamGroup.resolve(config)
        XCTAssertEqual(group.name, "api")
        XCTAssertEqual(group.retries, 2)
        XCTAssertEqual(group.peers.map(\.name), ["127.0.0.1:9001", "[::1]:9002"])
        XCTAssertEqual(group.peers.map(\.connectTimeout), [.milliseconds(250), .milliseconds(250)])
        XCTAssertEqual(group.peers.map(\.readTimeout), [.seconds(5), .seconds(5)])
        XCTAssertEqual(group.pick().name, "127.0.0.1:9001")
        XCTAssertEqual(group.pick().name, "[::1]:9002")
    }
}
