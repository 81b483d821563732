/// Byte comparisons whose running time does not depend on where the inputs differ, so the
/// response time does not tell an attacker how much of a guess was right.
enum ConstantTime {
    /// Compares every byte of the longer input whatever the contents; only the lengths can
    /// leak, which is no help in guessing a secret.
    static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let count = max(a.count, b.count)
        for i in 0..<count {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
