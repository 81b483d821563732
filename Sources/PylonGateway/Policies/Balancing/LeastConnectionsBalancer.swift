import Atomics

/// The eligible target with the fewest requests in flight across all workers, relative to
/// its weight. Targets that tie take turns, so an idle upstream still spreads its requests
/// evenly instead of sending every one to the first target.
final class LeastConnectionsBalancer: TargetBalancer {
    private let weights: [Int]
    private let turn = ManagedAtomic<Int>(0)

    init(weights: [Int]) {
        self.weights = weights
    }

    var usesLoad: Bool { true }

    func pick(from candidates: some BalancingCandidates, keyHash: UInt64) -> Int? {
        // First pass: the least load and how many targets share it.
        var best: Int?
        var bestLoad = 0
        var ties = 0
        for index in self.weights.indices where candidates.isEligible(index) {
            let load = candidates.load(index)
            guard let current = best else {
                (best, bestLoad, ties) = (index, load, 1)
                continue
            }
            if isLessLoaded(load, weight: self.weights[index], than: bestLoad, weight: self.weights[current]) {
                (best, bestLoad, ties) = (index, load, 1)
            } else if !isLessLoaded(bestLoad, weight: self.weights[current], than: load, weight: self.weights[index]) {
                ties += 1
            }
        }
        guard let first = best, ties > 1 else { return best }
        // Second pass: the tied target whose turn it is. Loads may have moved meanwhile
        // (other workers): then the first least-loaded target found will do.
        var skip = Int(UInt(bitPattern: self.turn.loadThenWrappingIncrement(ordering: .relaxed)) % UInt(ties))
        for index in first..<self.weights.count where candidates.isEligible(index) {
            let load = candidates.load(index)
            let tied = !isLessLoaded(load, weight: self.weights[index], than: bestLoad, weight: self.weights[first])
                && !isLessLoaded(bestLoad, weight: self.weights[first], than: load, weight: self.weights[index])
            guard tied else { continue }
            if skip == 0 { return index }
            skip -= 1
        }
        return first
    }
}
