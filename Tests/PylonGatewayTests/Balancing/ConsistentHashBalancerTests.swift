import XCTest

@testable import PylonGateway

final class ConsistentHashBalancerTests: XCTestCase {
    private func targets(_ count: Int) -> [String] {
        (0..<count).map { "10.0.0.\($0 + 1):8080" }
    }

    private func keys(_ count: Int) -> [UInt64] {
        (0..<count).map { ConsistentHashBalancer.hash("user-\($0)") }
    }

    func testTheSameKeyAlwaysGoesToTheSameTarget() {
        let balancer = ConsistentHashBalancer(keys: targets(5), weights: Array(repeating: 1, count: 5))
        let candidates = FakeCandidates(count: 5)
        for key in keys(200) {
            let first = balancer.pick(from: candidates, keyHash: key)
            XCTAssertNotNil(first)
            XCTAssertEqual(Set(balancer.picks(5, from: candidates, keyHash: key)), [first])
        }
    }

    func testAnotherBalancerOverTheSameTargetsAgrees() {
        // Every worker and every generation builds the same ring.
        let a = ConsistentHashBalancer(keys: targets(4), weights: [1, 1, 1, 1])
        let b = ConsistentHashBalancer(keys: targets(4), weights: [1, 1, 1, 1])
        XCTAssertEqual(a.pointHashes, b.pointHashes)
        XCTAssertEqual(a.pointTargets, b.pointTargets)
    }

    func testKeysSpreadOverAllTargets() {
        let balancer = ConsistentHashBalancer(keys: targets(4), weights: [1, 1, 1, 1])
        let counts = tally(keys(4000).map { balancer.pick(from: FakeCandidates(count: 4), keyHash: $0) })
        for target in 0..<4 {
            XCTAssertGreaterThan(counts[target] ?? 0, 600, "\(counts)")
        }
    }

    func testRemovingOneOfNTargetsMovesOnlyItsKeys() {
        let count = 10
        let all = targets(count)
        let before = ConsistentHashBalancer(keys: all, weights: Array(repeating: 1, count: count))
        let remaining = Array(all.dropLast())
        let after = ConsistentHashBalancer(keys: remaining, weights: Array(repeating: 1, count: count - 1))
        let sample = keys(10_000)
        var moved = 0
        for key in sample {
            let old = all[before.pick(from: FakeCandidates(count: count), keyHash: key)!]
            let new = remaining[after.pick(from: FakeCandidates(count: count - 1), keyHash: key)!]
            if old != new {
                moved += 1
                XCTAssertEqual(old, all.last, "only keys of the removed target move")
            }
        }
        // About 1/N of the keys, and certainly not the reshuffle of modulo hashing (~90%).
        XCTAssertGreaterThan(moved, sample.count / count / 2)
        XCTAssertLessThan(moved, sample.count * 2 / count)
    }

    func testAnIneligibleTargetsKeysGoToTheNextOnTheRingAndComeBack() {
        let balancer = ConsistentHashBalancer(keys: targets(5), weights: Array(repeating: 1, count: 5))
        let sample = keys(1000)
        let home = sample.map { balancer.pick(from: FakeCandidates(count: 5), keyHash: $0)! }
        let without2 = sample.map { balancer.pick(from: FakeCandidates(count: 5, ineligible: [2]), keyHash: $0)! }
        for (was, now) in zip(home, without2) {
            XCTAssertNotEqual(now, 2)
            if was != 2 { XCTAssertEqual(now, was, "keys of other targets stay") }
        }
        XCTAssertEqual(sample.map { balancer.pick(from: FakeCandidates(count: 5), keyHash: $0)! }, home)
        XCTAssertNil(balancer.pick(from: FakeCandidates(count: 5, ineligible: [0, 1, 2, 3, 4]), keyHash: sample[0]))
    }

    func testPointsFollowTheWeights() {
        let balancer = ConsistentHashBalancer(keys: targets(2), weights: [3, 1])
        let points = tally(balancer.pointTargets.map { Int($0) })
        XCTAssertEqual(points, [0: 240, 1: 80])
        let counts = tally(keys(8000).map { balancer.pick(from: FakeCandidates(count: 2), keyHash: $0) })
        XCTAssertGreaterThan(counts[0] ?? 0, 2 * (counts[1] ?? 0), "\(counts)")
    }
}
