import Foundation
import NIOHTTP1
import PylonProxy

/// A route's auth check, compiled from its `RouteAuth`: one scheme per route. Every check runs
/// synchronously on the request's event loop, reads only memory and never blocks.
enum AuthPolicy: Sendable {
    case secretHeader(SecretHeaderAuth)
    case apiKey(APIKeyAuth)
    case basic(BasicAuth)
    case jwt(JWTBearerAuth)

    init(_ config: RouteAuth) {
        switch config {
        case .secretHeader(let header, let secret): self = .secretHeader(SecretHeaderAuth(header: header, secret: secret))
        case .apiKey(let config): self = .apiKey(APIKeyAuth(config))
        case .basic(let config): self = .basic(BasicAuth(config))
        case .jwt(let config): self = .jwt(JWTBearerAuth(config))
        }
    }

    /// The scheme's name in `GatewayRejection.authFailed(scheme:)`, as in the config.
    var scheme: String {
        switch self {
        case .secretHeader: "secret_header"
        case .apiKey: "api_key"
        case .basic: "basic"
        case .jwt: "jwt"
        }
    }

    func check(_ headers: HeaderFields) -> AuthDecision {
        switch self {
        case .secretHeader(let auth): auth.check(headers)
        case .apiKey(let auth): auth.check(headers)
        case .basic(let auth): auth.check(headers)
        case .jwt(let auth): auth.check(headers, now: Date())
        }
    }
}
