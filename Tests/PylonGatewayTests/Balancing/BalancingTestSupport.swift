@testable import PylonGateway

/// Targets as a test sets them up: which may be picked and how loaded each is.
struct FakeCandidates: BalancingCandidates {
    var loads: [Int]
    var ineligible: Set<Int> = []

    init(count: Int, loads: [Int]? = nil, ineligible: Set<Int> = []) {
        self.loads = loads ?? Array(repeating: 0, count: count)
        self.ineligible = ineligible
    }

    var count: Int { self.loads.count }
    func isEligible(_ index: Int) -> Bool { !self.ineligible.contains(index) }
    func load(_ index: Int) -> Int { self.loads[index] }
}

extension TargetBalancer {
    /// `count` picks against the same candidates.
    func picks(_ count: Int, from candidates: FakeCandidates, keyHash: UInt64 = 0) -> [Int?] {
        (0..<count).map { _ in self.pick(from: candidates, keyHash: keyHash) }
    }
}

/// How often each target was picked.
func tally(_ picks: [Int?]) -> [Int: Int] {
    var counts: [Int: Int] = [:]
    for case let index? in picks { counts[index, default: 0] += 1 }
    return counts
}
