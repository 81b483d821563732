import Crypto
import CryptoExtras

/// The public key that checks RS256 or ES256 signatures, parsed from PEM when the config is
/// loaded so a bad key is a config error, not a failure on the first request.
public struct JWTPublicKey: Sendable, Equatable, CustomStringConvertible {
    enum Key: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
    }

    let key: Key

    init(_ key: Key) {
        self.key = key
    }

    /// The one algorithm this key can check.
    public var algorithm: JWTAuthConfig.Algorithm {
        switch key {
        case .rsa: .rs256
        case .p256: .es256
        }
    }

    /// Parses a PEM public key for `algorithm` (RS256 or ES256), with the reason on failure.
    static func parse(pem: String, for algorithm: JWTAuthConfig.Algorithm) throws(ValueSyntaxError) -> JWTPublicKey {
        // A private key would be parsed into a public one by some libraries; here it is refused
        // so the signing key is not copied onto every gateway by mistake.
        if pem.contains("PRIVATE KEY-----") {
            throw ValueSyntaxError("holds a private key; give the gateway only the public key (openssl pkey -pubout)")
        }
        guard pem.contains("-----BEGIN ") else {
            throw ValueSyntaxError("is not PEM (no -----BEGIN line); expected a public key such as -----BEGIN PUBLIC KEY-----")
        }
        switch algorithm {
        case .rs256:
            let key: _RSA.Signing.PublicKey
            do {
                key = try _RSA.Signing.PublicKey(pemRepresentation: pem)
            } catch {
                throw ValueSyntaxError("is not an RSA public key of 2048 bits or more, which RS256 needs")
            }
            return JWTPublicKey(.rsa(key))
        case .es256:
            do {
                return JWTPublicKey(.p256(try P256.Signing.PublicKey(pemRepresentation: pem)))
            } catch {
                throw ValueSyntaxError("is not a P-256 (prime256v1) public key, which ES256 needs")
            }
        case .hs256:
            throw ValueSyntaxError("HS256 takes a secret, not a public key")
        }
    }

    public static func == (lhs: JWTPublicKey, rhs: JWTPublicKey) -> Bool {
        switch (lhs.key, rhs.key) {
        case (.rsa(let a), .rsa(let b)): a.derRepresentation == b.derRepresentation
        case (.p256(let a), .p256(let b)): a.rawRepresentation == b.rawRepresentation
        default: false
        }
    }

    public var description: String {
        switch key {
        case .rsa(let key): "RSA-\(key.keySizeInBits) public key"
        case .p256: "P-256 public key"
        }
    }
}
