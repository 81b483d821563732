import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PylonProxy
import XCTest

@testable import PylonGateway

/// `UpstreamGroup`: round robin by default, fair even when many event loops pick at once;
/// only servable targets are picked, and a retry goes to a target not tried yet.
final class UpstreamGroupTests: XCTestCase {
    private func peers(_ count: Int) throws -> [HTTPPeer] {
        try (0..<count).map { try HTTPPeer(address: SocketAddress(ipAddress: "127.0.0.1", port: 9001 + $0)) }
    }

    private func makeTable() throws -> TargetHealthTable {
        TargetHealthTable(segment: try SharedMemorySegment.anonymous())
    }

    func testPickCyclesThroughTheTargetsInOrder() throws {
        let targets = try peers(3)
        let group = UpstreamGroup(name: "u", peers: targets, retries: 1, table: try makeTable())
        let picked = (0..<9).map { _ in group.peers[group.choose(keyHash: 0, tried: 0)].name }
        let names = targets.map(\.name)
        XCTAssertEqual(picked, names + names + names)
    }

    func testTwoTargetsAlternate() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(2), retries: 0, table: try makeTable())
        let picked = (0..<6).map { _ in group.peers[group.choose(keyHash: 0, tried: 0)].name }
        XCTAssertEqual(picked, ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9001", "127.0.0.1:9002"])
    }

    func testSingleTargetIsAlwaysPicked() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(1), retries: 0, table: try makeTable())
        XCTAssertEqual(Set((0..<5).map { _ in group.peers[group.choose(keyHash: 0, tried: 0)].name }), ["127.0.0.1:9001"])
    }

    func testConcurrentPicksAreSharedFairly() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(3), retries: 0, table: try makeTable())
        let counts = NIOLockedValueBox<[String: Int]>([:])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var local: [String: Int] = [:]
            for _ in 0..<3000 { local[group.peers[group.choose(keyHash: 0, tried: 0)].name, default: 0] += 1 }
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
        let group = try UpstreamGroup.resolve(config, table: try makeTable())
        XCTAssertEqual(group.name, "api")
        XCTAssertEqual(group.retries, 2)
        XCTAssertEqual(group.peers.map(\.name), ["127.0.0.1:9001", "[::1]:9002"])
        XCTAssertEqual(group.peers.map(\.connectTimeout), [.milliseconds(250), .milliseconds(250)])
        XCTAssertEqual(group.peers.map(\.readTimeout), [.seconds(5), .seconds(5)])
        XCTAssertEqual(group.peers[group.choose(keyHash: 0, tried: 0)].name, "127.0.0.1:9001")
        XCTAssertEqual(group.peers[group.choose(keyHash: 0, tried: 0)].name, "[::1]:9002")
    }

    func testDownTargetIsSkippedAndItsTurnGoesToTheNext() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(3), retries: 0, table: try makeTable())
        XCTAssertNotNil(group.health[1].recordProbe(success: false, rise: 1, fall: 1))
        let picked = (0..<6).map { _ in group.choose(keyHash: 0, tried: 0) }
        XCTAssertFalse(picked.contains(1), "\(picked)")
        XCTAssertTrue(group.hasServableTarget())
    }

    func testNoServableTargetWhenAllAreDown() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(2), retries: 0, table: try makeTable())
        for health in group.health { _ = health.recordProbe(success: false, rise: 1, fall: 1) }
        XCTAssertFalse(group.hasServableTarget())
        XCTAssertNil(group.pick(keyHash: 0))
    }

    func testRetryPrefersATargetNotTriedYet() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(3), retries: 2, table: try makeTable())
        for _ in 0..<6 {
            XCTAssertEqual(group.choose(keyHash: 0, tried: 0b011), 2)
        }
    }

    func testRetryOnASingleTargetGoesBackToIt() throws {
        let group = UpstreamGroup(name: "u", peers: try peers(1), retries: 1, table: try makeTable())
        XCTAssertEqual(group.choose(keyHash: 0, tried: 0b1), 0)
    }

    func testPassiveFailuresEjectTheTargetForTheCooldown() throws {
        let group = UpstreamGroup(
            name: "u", peers: try peers(2), retries: 0, table: try makeTable(),
            passive: PassiveHealthConfig(failures: 2, cooldown: .seconds(30))
        )
        let logger = Logger(label: "test")
        group.recordFailure(0, logger: logger)
        XCTAssertEqual(Set((0..<4).map { _ in group.choose(keyHash: 0, tried: 0) }), [0, 1], "one failure does not eject")
        group.recordFailure(0, logger: logger)
        XCTAssertEqual(Set((0..<4).map { _ in group.choose(keyHash: 0, tried: 0) }), [1])
    }

    func testSuccessEndsTheFailureStreak() throws {
        let group = UpstreamGroup(
            name: "u", peers: try peers(2), retries: 0, table: try makeTable(),
            passive: PassiveHealthConfig(failures: 2, cooldown: .seconds(30))
        )
        let logger = Logger(label: "test")
        group.recordFailure(0, logger: logger)
        group.recordSuccess(0)
        group.recordFailure(0, logger: logger)
        XCTAssertEqual(Set((0..<4).map { _ in group.choose(keyHash: 0, tried: 0) }), [0, 1])
    }

    func testTwoGroupsOnOneSegmentShareTargetState() throws {
        let segment = try SharedMemorySegment.anonymous()
        let first = UpstreamGroup(name: "u", peers: try peers(2), retries: 0, table: TargetHealthTable(segment: segment))
        let second = UpstreamGroup(name: "u", peers: try peers(2), retries: 0, table: TargetHealthTable(segment: segment))
        let other = UpstreamGroup(name: "v", peers: try peers(2), retries: 0, table: TargetHealthTable(segment: segment))
        _ = first.health[0].recordProbe(success: false, rise: 1, fall: 1)
        XCTAssertFalse(second.health[0].isServable(now: { 0 }), "another worker sees the same slot")
        XCTAssertTrue(other.health[0].isServable(now: { 0 }), "the same address in another upstream has its own slot")
    }
}
