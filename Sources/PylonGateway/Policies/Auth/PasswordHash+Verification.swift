import Crypto
import CryptoExtras
import Foundation

extension PasswordHash {
    /// Whether `password` hashes to this, compared in constant time.
    func verifies(_ password: String) -> Bool {
        let password = Array(password.utf8)
        switch self {
        case .saltedSHA256(let salt, let digest):
            var hasher = SHA256()
            hasher.update(data: salt)
            hasher.update(data: password)
            return ConstantTime.equals(Array(hasher.finalize()), digest)
        case .pbkdf2SHA256(let iterations, let salt, let hash):
            // The iteration count was bounded when the config was read; swift-crypto's checked
            // entry point would refuse counts below its own floor, which older hashes may have.
            guard let derived = try? KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .sha256, outputByteCount: hash.count, unsafeUncheckedRounds: iterations
            ) else {
                return false
            }
            return derived.withUnsafeBytes { ConstantTime.equals(Array($0), hash) }
        }
    }

    /// A new `pbkdf2-sha256$…` hash of `password` with a random 16-byte salt: what
    /// `pylon hash-password` prints.
    public static func makePBKDF2SHA256(password: String, iterations: Int) throws -> PasswordHash {
        let salt = Array(SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) })
        let derived = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: iterations
        )
        return .pbkdf2SHA256(iterations: iterations, salt: salt, hash: derived.withUnsafeBytes { Array($0) })
    }

    /// The hash as the config writes it; `PasswordHashSyntax.parse` reads it back.
    public var encoded: String {
        switch self {
        case .saltedSHA256(let salt, let digest):
            let hex = digest.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
            return "sha256$\(String(decoding: salt, as: UTF8.self))$\(hex)"
        case .pbkdf2SHA256(let iterations, let salt, let hash):
            return "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
        }
    }
}
