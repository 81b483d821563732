import XCTest

@testable import PylonGateway

final class PowerOfTwoChoicesBalancerTests: XCTestCase {
    func testOfTwoTargetsTheLessLoadedIsAlwaysPicked() {
        let balancer = PowerOfTwoChoicesBalancer(weights: [1, 1])
        XCTAssertEqual(Set(balancer.picks(200, from: FakeCandidates(count: 2, loads: [3, 1]))), [1])
        XCTAssertEqual(Set(balancer.picks(200, from: FakeCandidates(count: 2, loads: [0, 8]))), [0])
    }

    func testTheMostLoadedTargetIsNeverPicked() {
        // Any pair that draws target 2 has a less loaded partner.
        let balancer = PowerOfTwoChoicesBalancer(weights: [1, 1, 1, 1, 1])
        let picks = balancer.picks(2000, from: FakeCandidates(count: 5, loads: [1, 2, 10, 3, 4]))
        XCTAssertFalse(picks.contains(2))
        XCTAssertFalse(picks.contains(nil))
        // … and the least loaded wins every pair it is in: it gets the most picks.
        let counts = tally(picks)
        XCTAssertEqual(counts.max { $0.value < $1.value }?.key, 0, "\(counts)")
    }

    func testLoadIsRelativeToWeight() {
        let balancer = PowerOfTwoChoicesBalancer(weights: [4, 1])
        XCTAssertEqual(Set(balancer.picks(100, from: FakeCandidates(count: 2, loads: [6, 2]))), [0])
    }

    func testIneligibleTargetsAreNeverPicked() {
        let balancer = PowerOfTwoChoicesBalancer(weights: [1, 1, 1, 1])
        let picks = balancer.picks(500, from: FakeCandidates(count: 4, loads: [0, 5, 0, 9], ineligible: [0, 2]))
        XCTAssertEqual(Set(picks), [1], "of the two eligible targets, the less loaded")
        XCTAssertEqual(balancer.pick(from: FakeCandidates(count: 4, ineligible: [0, 1, 2, 3]), keyHash: 0), nil)
    }

    func testASingleTargetIsPickedWhileEligible() {
        let balancer = PowerOfTwoChoicesBalancer(weights: [1])
        XCTAssertEqual(balancer.pick(from: FakeCandidates(count: 1), keyHash: 0), 0)
        XCTAssertEqual(balancer.pick(from: FakeCandidates(count: 1, ineligible: [0]), keyHash: 0), nil)
    }

    func testIdleTargetsAllGetPicks() {
        let balancer = PowerOfTwoChoicesBalancer(weights: [1, 1, 1])
        let counts = tally(balancer.picks(3000, from: FakeCandidates(count: 3)))
        XCTAssertEqual(Set(counts.keys), [0, 1, 2])
    }
}
