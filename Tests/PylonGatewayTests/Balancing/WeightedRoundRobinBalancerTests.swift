import XCTest

@testable import PylonGateway

final class WeightedRoundRobinBalancerTests: XCTestCase {
    func testOneCycleGivesEveryTargetExactlyItsWeight() {
        let weights = [5, 3, 2, 1]
        let balancer = WeightedRoundRobinBalancer(weights: weights)
        XCTAssertEqual(balancer.schedule.count, 11)
        for cycle in 1...3 {
            let counts = tally(balancer.picks(11, from: FakeCandidates(count: 4)))
            XCTAssertEqual(counts, [0: 5, 1: 3, 2: 2, 3: 1], "cycle \(cycle)")
        }
    }

    func testTurnsAreInterleavedSmoothly() {
        // nginx's example: 5, 1, 1 → a a b a c a a, never five a's in a row.
        let balancer = WeightedRoundRobinBalancer(weights: [5, 1, 1])
        XCTAssertEqual(balancer.picks(7, from: FakeCandidates(count: 3)), [0, 0, 1, 0, 2, 0, 0])
    }

    func testEveryPrefixStaysCloseToTheWeights() {
        let weights = [7, 4, 2, 1]
        let total = Double(weights.reduce(0, +))
        let balancer = WeightedRoundRobinBalancer(weights: weights)
        var counts = Array(repeating: 0, count: weights.count)
        for (turn, index) in balancer.schedule.enumerated() {
            counts[Int(index)] += 1
            for target in weights.indices {
                let share = Double(turn + 1) * Double(weights[target]) / total
                XCTAssertLessThan(abs(Double(counts[target]) - share), 1.5, "target \(target) after \(turn + 1) turns")
            }
        }
    }

    func testCommonFactorsAreReducedSoTheCycleIsShort() {
        XCTAssertEqual(WeightedRoundRobinBalancer(weights: [300, 200, 100]).schedule.count, 6)
    }

    func testEqualWeightsAreRoundRobin() {
        let balancer = WeightedRoundRobinBalancer(weights: [4, 4, 4])
        XCTAssertEqual(balancer.picks(6, from: FakeCandidates(count: 3)), [0, 1, 2, 0, 1, 2])
    }

    func testLargeSchedulesAreStillExactPerCycle() {
        // Many targets with coprime weights take the stride path; shares are still exact.
        let weights = (0..<200).map { 997 - $0 * 3 }
        let schedule = WeightedRoundRobinBalancer.smoothSchedule(weights: weights)
        XCTAssertEqual(schedule.count, weights.reduce(0, +))
        var counts = Array(repeating: 0, count: weights.count)
        for index in schedule { counts[Int(index)] += 1 }
        XCTAssertEqual(counts, weights)
    }

    func testAnIneligibleTargetIsNeverPicked() {
        let balancer = WeightedRoundRobinBalancer(weights: [5, 1, 1])
        let picks = balancer.picks(21, from: FakeCandidates(count: 3, ineligible: [0]))
        XCTAssertEqual(Set(picks.compactMap { $0 }), [1, 2])
        XCTAssertFalse(picks.contains(nil))
    }
}
