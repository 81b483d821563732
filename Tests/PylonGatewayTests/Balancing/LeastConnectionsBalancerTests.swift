import XCTest

@testable import PylonGateway

final class LeastConnectionsBalancerTests: XCTestCase {
    func testPicksTheLeastLoadedTarget() {
        let balancer = LeastConnectionsBalancer(weights: [1, 1, 1])
        let candidates = FakeCandidates(count: 3, loads: [5, 2, 9])
        XCTAssertEqual(Set(balancer.picks(10, from: candidates)), [1])
    }

    func testLoadIsRelativeToWeight() {
        // 6 in flight on weight 3 is 2 per unit; 3 on weight 1 is 3 per unit.
        let balancer = LeastConnectionsBalancer(weights: [3, 1])
        XCTAssertEqual(Set(balancer.picks(5, from: FakeCandidates(count: 2, loads: [6, 3]))), [0])
    }

    func testTiesAreSpreadOverTheTiedTargets() {
        let balancer = LeastConnectionsBalancer(weights: [1, 1, 1, 1])
        let picks = balancer.picks(40, from: FakeCandidates(count: 4, loads: [1, 0, 0, 1]))
        XCTAssertEqual(tally(picks), [1: 20, 2: 20])
    }

    func testSkipsIneligibleTargetsEvenWhenIdle() {
        let balancer = LeastConnectionsBalancer(weights: [1, 1, 1])
        let candidates = FakeCandidates(count: 3, loads: [0, 4, 7], ineligible: [0])
        XCTAssertEqual(Set(balancer.picks(5, from: candidates)), [1])
        XCTAssertEqual(balancer.pick(from: FakeCandidates(count: 3, ineligible: [0, 1, 2]), keyHash: 0), nil)
    }

    func testCountsLoad() {
        XCTAssertTrue(LeastConnectionsBalancer(weights: [1]).usesLoad)
    }
}
