import Atomics

/// Power of two choices: two distinct targets drawn at random, the less loaded of them
/// (relative to weight). It avoids both the herd that least connections causes when every
/// worker sees the same minimum and the cost of scanning every target.
///
/// When the draw hits ineligible targets it draws again a few times, then falls back to the
/// least loaded eligible target, so it never settles for a lone draw: of two eligible
/// targets it always takes the less loaded one.
final class PowerOfTwoChoicesBalancer: TargetBalancer {
    private let weights: [Int]
    private let random = SharedRandom()

    init(weights: [Int]) {
        self.weights = weights
    }

    var usesLoad: Bool { true }

    static let draws = 4

    func pick(from candidates: some BalancingCandidates, keyHash: UInt64) -> Int? {
        let count = self.weights.count
        if count == 1 { return candidates.isEligible(0) ? 0 : nil }
        for _ in 0..<Self.draws {
            let bits = self.random.next()
            let first = Int(bits % UInt64(count))
            var second = Int((bits >> 32) % UInt64(count - 1))
            if second >= first { second += 1 }
            guard candidates.isEligible(first), candidates.isEligible(second) else { continue }
            return self.lessLoaded(first, second, candidates)
        }
        var best: Int?
        for index in 0..<count where candidates.isEligible(index) {
            best = best.map { self.lessLoaded($0, index, candidates) } ?? index
        }
        return best
    }

    private func lessLoaded(_ a: Int, _ b: Int, _ candidates: some BalancingCandidates) -> Int {
        isLessLoaded(candidates.load(b), weight: self.weights[b], than: candidates.load(a), weight: self.weights[a]) ? b : a
    }
}

/// A cheap random source shared by every event loop: SplitMix64 over an atomic counter.
/// One relaxed increment per number, no lock; the quality is ample for picking targets.
final class SharedRandom: Sendable {
    private let state = ManagedAtomic<UInt64>(UInt64.random(in: .min ... .max))

    func next() -> UInt64 {
        var z = self.state.wrappingIncrementThenLoad(by: 0x9E37_79B9_7F4A_7C15, ordering: .relaxed)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
