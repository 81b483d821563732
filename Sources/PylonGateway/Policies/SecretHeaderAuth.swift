import NIOHTTP1

/// "This header must equal that secret", compared in constant time so the response
/// time does not tell an attacker how much of a guess was right.
struct SecretHeaderAuth: Sendable {
    let header: String
    private let secret: [UInt8]

    init(header: String, secret: String) {
        self.header = header
        self.secret = Array(secret.utf8)
    }

    /// True when exactly one such header is present and equals the secret.
    func allows(_ headers: HTTPHeaders) -> Bool {
        let values = headers[self.header]
        guard values.count == 1 else { return false }
        return Self.constantTimeEquals(Array(values[0].utf8), self.secret)
    }

    /// Compares every byte of the longer input whatever the contents; only the length
    /// of the secret itself can leak, which is no help in guessing it.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
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
