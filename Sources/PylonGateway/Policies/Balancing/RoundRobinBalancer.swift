import Atomics

/// Each request goes to the next target in turn, over one atomic counter shared by every
/// event loop of the worker so turns stay fair across connections. A target that is not
/// eligible is skipped: its turn goes to the next eligible one.
final class RoundRobinBalancer: TargetBalancer {
    private let count: Int
    private let next = ManagedAtomic<Int>(0)

    init(count: Int) {
        self.count = count
    }

    func pick(from candidates: some BalancingCandidates, keyHash: UInt64) -> Int? {
        let turn = self.next.loadThenWrappingIncrement(ordering: .relaxed)
        let start = Int(UInt(bitPattern: turn) % UInt(self.count))
        for offset in 0..<self.count {
            let index = (start + offset) % self.count
            if candidates.isEligible(index) { return index }
        }
        return nil
    }
}
