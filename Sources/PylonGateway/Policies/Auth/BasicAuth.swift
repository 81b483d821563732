import NIOHTTP1
import PylonProxy

/// HTTP Basic (RFC 7617) against password hashes; otherwise 401 with
/// `WWW-Authenticate: Basic realm="<realm>", charset="UTF-8"`.
///
/// An unknown user is refused without hashing anything, as nginx and Apache do: the time a
/// refusal takes can tell whether a user name exists, and that is accepted here so that
/// requests naming no real user never cost a password hash on the event loop. Passwords are
/// what is secret, and their checks are constant-time.
struct BasicAuth: Sendable {
    private let users: [String: PasswordHash]
    private let verified: VerifiedCredentialCache
    private let refusal: ProxyResponse

    init(_ config: BasicAuthConfig, cache: VerifiedCredentialCache = VerifiedCredentialCache()) {
        var users: [String: PasswordHash] = [:]
        for user in config.users { users[user.name] = user.passwordHash }
        self.users = users
        self.verified = cache
        self.refusal = UnauthorizedResponse.challenging("Basic realm=\"\(config.realm)\", charset=\"UTF-8\"")
    }

    func check(_ headers: HeaderFields) -> AuthDecision {
        guard let credentials = BasicCredentials(headers), let hash = self.users[credentials.user] else {
            return .refused(self.refusal)
        }
        if self.verified.contains(credentials) {
            return .allowed(client: credentials.user)
        }
        guard hash.verifies(credentials.password) else {
            return .refused(self.refusal)
        }
        self.verified.insert(credentials)
        return .allowed(client: credentials.user)
    }
}
