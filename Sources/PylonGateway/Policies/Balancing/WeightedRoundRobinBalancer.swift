import Atomics

/// Turns in proportion to the weights, following a schedule computed once: over one cycle
/// of `Σ weight / gcd` turns every target gets exactly its share, and the turns are spread
/// out (nginx's smooth weighted round robin: weights 5, 1, 1 give a a b a c a a). One atomic
/// counter walks the schedule; a turn whose target is not eligible goes to the next
/// eligible entry.
final class WeightedRoundRobinBalancer: TargetBalancer {
    /// Target indices, one per turn of a cycle.
    let schedule: [UInt32]
    private let next = ManagedAtomic<Int>(0)

    init(weights: [Int]) {
        self.schedule = Self.smoothSchedule(weights: weights)
    }

    func pick(from candidates: some BalancingCandidates, keyHash: UInt64) -> Int? {
        let turn = self.next.loadThenWrappingIncrement(ordering: .relaxed)
        let length = self.schedule.count
        let start = Int(UInt(bitPattern: turn) % UInt(length))
        for offset in 0..<length {
            let index = Int(self.schedule[(start + offset) % length])
            if candidates.isEligible(index) { return index }
        }
        return nil
    }

    /// Above this many steps (turns × targets) the schedule is ordered by stride instead,
    /// which costs a sort rather than a scan of every target per turn: still exact over a
    /// cycle, slightly less even. Only configs with many targets and large, coprime weights
    /// get there.
    static let smoothScheduleWorkLimit = 1 << 24

    /// One cycle of turns for `weights` (each at least 1).
    static func smoothSchedule(weights: [Int]) -> [UInt32] {
        let divisor = weights.reduce(0) { greatestCommonDivisor($0, $1) }
        let reduced = weights.map { $0 / max(divisor, 1) }
        let total = reduced.reduce(0, +)
        guard total * reduced.count <= smoothScheduleWorkLimit else {
            return strideSchedule(weights: reduced)
        }
        // nginx: every turn each target gains its weight; the one with the most current
        // weight takes the turn and pays the total back.
        var current = Array(repeating: 0, count: reduced.count)
        var schedule: [UInt32] = []
        schedule.reserveCapacity(total)
        for _ in 0..<total {
            var best = 0
            for index in reduced.indices {
                current[index] += reduced[index]
                if current[index] > current[best] { best = index }
            }
            current[best] -= total
            schedule.append(UInt32(best))
        }
        return schedule
    }

    /// Target `i`'s `k`-th turn at time `(k + ½) / weight_i` of the cycle, all turns sorted by time.
    private static func strideSchedule(weights: [Int]) -> [UInt32] {
        var turns: [(time: Double, index: UInt32)] = []
        turns.reserveCapacity(weights.reduce(0, +))
        for (index, weight) in weights.enumerated() {
            for k in 0..<weight {
                turns.append(((Double(k) + 0.5) / Double(weight), UInt32(index)))
            }
        }
        turns.sort { ($0.time, $0.index) < ($1.time, $1.index) }
        return turns.map(\.index)
    }

    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        b == 0 ? a : greatestCommonDivisor(b, a % b)
    }
}
