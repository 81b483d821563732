import Crypto
import Foundation
import JWTKit
import NIOHTTP1
import PylonProxy

/// A signed JSON Web Token as a bearer token (RFC 6750, RFC 7519); otherwise 401 with
/// `WWW-Authenticate: Bearer` when the request carries no token, or
/// `WWW-Authenticate: Bearer error="invalid_token"` when it carries one that fails any check.
/// Neither says which check failed.
///
/// A token passes when its header's `alg` is one the route lists (never `none`), it has no
/// `crit` header (no extension is understood), its signature verifies with that algorithm's
/// own key, it has not expired (`exp`, required unless `require_exp: false`), it is not used
/// before `nbf`, and its `iss` and `aud` match when the route names them. `exp` and `nbf` are
/// checked with the route's leeway.
struct JWTBearerAuth: Sendable {
    let header: String
    /// True when the token comes as `Authorization: Bearer <token>`, not a header of its own.
    private let bearerScheme: Bool
    /// Each accepted `alg` with its key: an algorithm only ever checks with its own key, so a
    /// token cannot pick, say, HS256 to have a public key used as an HMAC secret.
    private let verifiers: [String: JWTSignatureVerifier]
    private let issuer: String?
    private let audiences: [String]
    private let leeway: TimeInterval
    private let requireExpiry: Bool
    private let parser = DefaultJWTParser()
    private let missing = UnauthorizedResponse.challenging("Bearer")
    private let invalid = UnauthorizedResponse.challenging("Bearer error=\"invalid_token\"")

    init(_ config: JWTAuthConfig) {
        self.header = config.header
        self.bearerScheme = config.header.lowercased() == "authorization"
        var verifiers: [String: JWTSignatureVerifier] = [:]
        for algorithm in config.algorithms {
            switch (algorithm, config.publicKey?.key) {
            case (.hs256, _):
                // The reader guarantees a secret for HS256; without one, HS256 accepts nothing.
                if let secret = config.hmacSecret { verifiers[algorithm.rawValue] = .hs256(SymmetricKey(data: secret)) }
            case (.rs256, .rsa(let key)?):
                verifiers[algorithm.rawValue] = .rs256(key)
            case (.es256, .p256(let key)?):
                verifiers[algorithm.rawValue] = .es256(key)
            default:
                break
            }
        }
        self.verifiers = verifiers
        self.issuer = config.issuer
        self.audiences = config.audiences
        self.leeway = TimeInterval(config.leeway.components.seconds)
            + TimeInterval(config.leeway.components.attoseconds) / 1e18
        self.requireExpiry = config.requireExpiry
    }

    func check(_ headers: HeaderFields, now: Date) -> AuthDecision {
        let values = headers[self.header]
        guard values.count == 1, let token = self.token(in: values[0]) else {
            return .refused(values.count > 1 ? self.invalid : self.missing)
        }
        guard let claims = self.verifiedClaims(of: token, now: now) else {
            return .refused(self.invalid)
        }
        return .allowed(client: claims.sub?.value)
    }

    /// The token in a header value: after `Bearer ` in Authorization (any case, RFC 9110
    /// §11.1), the whole value elsewhere. Nil when there is none, e.g. Basic credentials.
    private func token(in value: String) -> Substring? {
        var token = Substring(value)
        if self.bearerScheme {
            guard let space = value.firstIndex(of: " "), value[..<space].lowercased() == "bearer" else {
                return nil
            }
            token = value[space...].drop(while: { $0 == " " })
        }
        return token.isEmpty ? nil : token
    }

    /// The token's claims when every check passes; nil otherwise, whatever the reason.
    func verifiedClaims(of token: Substring, now: Date) -> JWTRegisteredClaims? {
        let bytes = Array(token.utf8)
        guard let token = try? self.parser.parse(bytes, as: JWTRegisteredClaims.self),
              token.header.fields["crit"] == nil,
              let algorithm = token.header.alg, let verifier = self.verifiers[algorithm],
              let lastPeriod = bytes.lastIndex(of: UInt8(ascii: ".")),
              verifier.verify(token.signature, signs: bytes[..<lastPeriod])
        else {
            return nil
        }
        let claims = token.payload
        do {
            if let exp = claims.exp {
                try exp.verifyNotExpired(currentDate: now.addingTimeInterval(-self.leeway))
            } else if self.requireExpiry {
                return nil
            }
            try claims.nbf?.verifyNotBefore(currentDate: now.addingTimeInterval(self.leeway))
        } catch {
            return nil
        }
        if let issuer = self.issuer, claims.iss?.value != issuer {
            return nil
        }
        if !self.audiences.isEmpty {
            guard let aud = claims.aud,
                  self.audiences.contains(where: { (try? aud.verifyIntendedAudience(includes: $0)) != nil })
            else {
                return nil
            }
        }
        return claims
    }
}
