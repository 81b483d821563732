import XCTest

@testable import PylonGateway

final class RoundRobinBalancerTests: XCTestCase {
    func testTurnsGoToEachTargetInOrder() {
        let balancer = RoundRobinBalancer(count: 3)
        XCTAssertEqual(balancer.picks(6, from: FakeCandidates(count: 3)), [0, 1, 2, 0, 1, 2])
    }

    func testAnIneligibleTargetsTurnGoesToTheNextEligibleOne() {
        let balancer = RoundRobinBalancer(count: 3)
        XCTAssertEqual(balancer.picks(6, from: FakeCandidates(count: 3, ineligible: [1])), [0, 2, 2, 0, 2, 2])
    }

    func testNothingIsPickedWhenNoTargetIsEligible() {
        let balancer = RoundRobinBalancer(count: 2)
        XCTAssertEqual(balancer.picks(3, from: FakeCandidates(count: 2, ineligible: [0, 1])), [nil, nil, nil])
    }

    func testRoundRobinDoesNotCountLoad() {
        XCTAssertFalse(RoundRobinBalancer(count: 2).usesLoad)
    }
}
