/// A Basic user's password as the config holds it: hashed, never in plain text.
///
/// Two formats, both checked with swift-crypto:
/// - `pbkdf2-sha256$<iterations>$<salt>$<hash>`: PBKDF2-HMAC-SHA256 (RFC 8018), salt and hash in
///   base64; what `pylon hash-password` writes. The one to use for passwords people choose.
/// - `sha256$<salt>$<hex>`: lowercase or uppercase hex of SHA-256(salt ‖ password), the salt as
///   written. One fast hash: fit only for long random secrets (machine credentials), which no
///   amount of guessing finds, never for passwords people choose.
public enum PasswordHash: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    case saltedSHA256(salt: [UInt8], digest: [UInt8])
    case pbkdf2SHA256(iterations: Int, salt: [UInt8], hash: [UInt8])

    /// The PBKDF2 iteration counts the config accepts. Every verification that misses the
    /// cache runs on an event loop; a million iterations already holds it for about a second.
    public static let pbkdf2Iterations = 1_000...1_000_000

    /// A hash is not the password, but a leaked one can be attacked offline: leave it out.
    public var description: String {
        switch self {
        case .saltedSHA256: "sha256$<redacted>"
        case .pbkdf2SHA256(let iterations, _, _): "pbkdf2-sha256$\(iterations)$<redacted>"
        }
    }

    public var debugDescription: String {
        description
    }
}
