/// Ketama consistent hashing: every target owns points on a ring of 64-bit hashes, a
/// request goes to the owner of the first point at or after its key's hash (walking on
/// past ineligible targets). A key keeps its target as long as that target is eligible,
/// and removing one of N targets moves only the keys that were on its points, about 1/N.
///
/// Points are derived from the target's address as written in the config, with a hash
/// whose key is fixed: every worker, every generation and every Pylon instance with the
/// same targets builds the same ring, so keys keep their targets across upgrades and
/// restarts. Each target gets 160 points on average, in proportion to its weight (as
/// libketama does), so the ring stays ~160 × targets points whatever the weights.
struct ConsistentHashBalancer: TargetBalancer {
    /// Fixed, not the segment's per-service key: the ring must not change between restarts.
    /// Clients could aim keys at one target, but a key's owner is by design predictable.
    static let hashKey: (UInt64, UInt64) = (0x7079_6C6F_6E2D_6B65, 0x7461_6D61_2D72_696E)
    static let pointsPerTarget = 160

    /// Ring points sorted by hash, and the target each belongs to.
    let pointHashes: [UInt64]
    let pointTargets: [UInt32]

    init(keys: [String], weights: [Int]) {
        let totalWeight = weights.reduce(0, +)
        var points: [(hash: UInt64, target: UInt32)] = []
        for (index, key) in keys.enumerated() {
            let share = Double(Self.pointsPerTarget * keys.count * weights[index]) / Double(totalWeight)
            let count = max(1, Int(share.rounded()))
            for point in 0..<count {
                points.append((SipHash.hash("\(key)-\(point)", key: Self.hashKey), UInt32(index)))
            }
        }
        // Ties (vanishingly rare) are broken by target index, so the order is the same everywhere.
        points.sort { ($0.hash, $0.target) < ($1.hash, $1.target) }
        self.pointHashes = points.map(\.hash)
        self.pointTargets = points.map(\.target)
    }

    /// The hash of a request key, on the ring's scale.
    static func hash(_ key: String) -> UInt64 {
        SipHash.hash(key, key: hashKey)
    }

    func pick(from candidates: some BalancingCandidates, keyHash: UInt64) -> Int? {
        let count = self.pointHashes.count
        var position = self.firstPoint(atOrAfter: keyHash)
        var checked: UInt64 = 0
        for _ in 0..<count {
            let target = Int(self.pointTargets[position])
            // Skip the eligibility check for targets already refused (first 64 targets).
            if target >= 64 || checked & (1 << UInt64(target)) == 0 {
                if candidates.isEligible(target) { return target }
                if target < 64 { checked |= 1 << UInt64(target) }
            }
            position = position + 1 == count ? 0 : position + 1
        }
        return nil
    }

    /// Binary search for the first point whose hash is ≥ `hash`, wrapping to 0.
    private func firstPoint(atOrAfter hash: UInt64) -> Int {
        var low = 0
        var high = self.pointHashes.count
        while low < high {
            let middle = (low + high) / 2
            if self.pointHashes[middle] < hash { low = middle + 1 } else { high = middle }
        }
        return low == self.pointHashes.count ? 0 : low
    }
}
