/// A route's JSON Web Token check (`auth: {jwt: …}`, RFC 7519): the request must carry a token
/// signed with one of `algorithms` by the configured key, whose `exp`, `nbf`, `iss` and `aud`
/// claims hold; otherwise the gateway answers 401 with a `WWW-Authenticate: Bearer` challenge
/// (RFC 6750) that says no more than `error="invalid_token"`.
public struct JWTAuthConfig: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A signature algorithm from RFC 7518 §3.1 that a route may accept.
    public enum Algorithm: String, Sendable, Equatable, CaseIterable {
        /// HMAC with SHA-256, keyed by a shared secret.
        case hs256 = "HS256"
        /// RSASSA-PKCS1-v1_5 with SHA-256, checked with an RSA public key (2048 bits or more).
        case rs256 = "RS256"
        /// ECDSA on P-256 with SHA-256, checked with a P-256 public key.
        case es256 = "ES256"
    }

    /// The algorithms a token's `alg` may name (`algorithms`); required, not empty. Anything
    /// else, `none` included, is refused, and each algorithm only ever uses its own kind of key.
    public var algorithms: [Algorithm]
    /// The HS256 key (`secret`, or `secret_file` with trailing line breaks removed, path
    /// relative to the config file): at least 32 bytes (RFC 7518 §3.2). Required with HS256,
    /// not allowed without it.
    public var hmacSecret: [UInt8]?
    /// The RS256 or ES256 key (`public_key_file`: a PEM public key, path relative to the config
    /// file). Required with RS256 or ES256 (whose key type it must match), not allowed without.
    public var publicKey: JWTPublicKey?
    /// The `iss` a token must have (`issuer`); default nil = not checked.
    public var issuer: String?
    /// Values one of which a token's `aud` must contain (`audience`: a string or a list);
    /// default empty = not checked.
    public var audiences: [String]
    /// Clock skew allowed when checking `exp` and `nbf` (`leeway`), from 0s to 1h; default 0s.
    public var leeway: Duration
    /// Whether a token without `exp` is refused (`require_exp`); default true, since such a
    /// token would be good forever.
    public var requireExpiry: Bool
    /// Request header that carries the token (`header`); default `Authorization`, where the
    /// value is `Bearer <token>`. In any other header the value is the token itself.
    public var header: String

    public init(
        algorithms: [Algorithm],
        hmacSecret: [UInt8]? = nil,
        publicKey: JWTPublicKey? = nil,
        issuer: String? = nil,
        audiences: [String] = [],
        leeway: Duration = .zero,
        requireExpiry: Bool = true,
        header: String = "Authorization"
    ) {
        self.algorithms = algorithms
        self.hmacSecret = hmacSecret
        self.publicKey = publicKey
        self.issuer = issuer
        self.audiences = audiences
        self.leeway = leeway
        self.requireExpiry = requireExpiry
        self.header = header
    }

    public var description: String {
        var parts = ["algorithms: \(algorithms.map(\.rawValue).joined(separator: ", "))"]
        if hmacSecret != nil { parts.append("secret: <redacted>") }
        if let publicKey { parts.append("public key: \(publicKey)") }
        if let issuer { parts.append("issuer: \(issuer)") }
        if !audiences.isEmpty { parts.append("audience: \(audiences.joined(separator: ", "))") }
        parts.append("leeway: \(leeway)")
        parts.append("require_exp: \(requireExpiry)")
        parts.append("header: \(header)")
        return "JWTAuthConfig(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String {
        description
    }
}
