import Crypto
import CryptoExtras
import Foundation

/// Checks a JWS signature (RFC 7515) for one algorithm with one key, synchronously.
///
/// Why not jwt-kit's own signers: jwt-kit 5 keeps them internal and hands them out only from
/// its `JWTKeyCollection` actor, whose `verify` and `getKey` are `async`. A proxy phase runs
/// synchronously on the connection's event loop and must neither block waiting for a task nor
/// hop to another thread, so the signature is checked here with swift-crypto (the library
/// jwt-kit's signers use, with the same parameters: PKCS#1 v1.5 for RS256, raw r‖s for ES256),
/// while jwt-kit parses the token and its claims.
enum JWTSignatureVerifier: Sendable {
    case hs256(SymmetricKey)
    case rs256(_RSA.Signing.PublicKey)
    case es256(P256.Signing.PublicKey)

    /// Whether `signature` signs `signingInput` (the token up to its second `.`).
    func verify(_ signature: Data, signs signingInput: ArraySlice<UInt8>) -> Bool {
        switch self {
        case .hs256(let key):
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key)
        case .rs256(let key):
            let signature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(signature, for: SHA256.hash(data: signingInput), padding: .insecurePKCS1v1_5)
        case .es256(let key):
            guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
                return false
            }
            return key.isValidSignature(signature, for: SHA256.hash(data: signingInput))
        }
    }
}
