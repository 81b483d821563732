/// How a route checks who is calling (`auth`): one scheme per route.
///
/// Written either as the shared-secret check `{header, equals_secret}` (403 when it fails), or
/// as a mapping with exactly one of `api_key`, `basic` or `jwt` (401 with a challenge).
/// Descriptions leave every secret out, so printing a config, or a failing test's diff,
/// does not leak one.
public enum RouteAuth: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// `{header, equals_secret}`: the request's `header` must equal `secret` exactly, compared in
    /// constant time; otherwise the gateway answers 403. `header` is required; `equals_secret`
    /// is required and not empty.
    case secretHeader(header: String, secret: String)
    /// `{api_key: …}`: one of a list of keys in a request header; otherwise 401.
    case apiKey(APIKeyAuthConfig)
    /// `{basic: …}`: HTTP Basic against hashed passwords; otherwise 401 with a Basic challenge.
    case basic(BasicAuthConfig)
    /// `{jwt: …}`: a signed JSON Web Token as a bearer token; otherwise 401 with a Bearer challenge.
    case jwt(JWTAuthConfig)

    /// The shared-secret check (`{header, equals_secret}`).
    public init(header: String, secret: String) {
        self = .secretHeader(header: header, secret: secret)
    }

    public var description: String {
        switch self {
        case .secretHeader(let header, _): "RouteAuth(header: \(header), secret: <redacted>)"
        case .apiKey(let config): "RouteAuth(\(config))"
        case .basic(let config): "RouteAuth(\(config))"
        case .jwt(let config): "RouteAuth(\(config))"
        }
    }

    public var debugDescription: String {
        description
    }
}
