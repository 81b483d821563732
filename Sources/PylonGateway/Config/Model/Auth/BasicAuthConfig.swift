/// A route's HTTP Basic check (`auth: {basic: …}`, RFC 7617): the request's user name and
/// password must match a configured user's password hash; otherwise the gateway answers 401
/// with `WWW-Authenticate: Basic realm="…", charset="UTF-8"`.
public struct BasicAuthConfig: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The protection space named in the challenge (`realm`); default `pylon`. No `"` or `\`.
    public var realm: String
    /// The users, from `users` (a mapping of user name to password hash) or from `users_file`
    /// (one `name:hash` per line, `#` comments and blank lines ignored, path relative to the
    /// config file), read when the config is loaded; exactly one of the two is required, with at
    /// least one user. Only hashes are accepted, never plain passwords: see `PasswordHash`.
    public var users: [BasicAuthUser]

    public init(realm: String = "pylon", users: [BasicAuthUser]) {
        self.realm = realm
        self.users = users
    }

    public var description: String {
        "BasicAuthConfig(realm: \(realm), users: \(users.map(\.name).joined(separator: ", ")))"
    }

    public var debugDescription: String {
        description
    }
}

/// One Basic user: a name (no `:`, which Basic uses as the separator) and a password hash.
public struct BasicAuthUser: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var name: String
    public var passwordHash: PasswordHash

    public init(name: String, passwordHash: PasswordHash) {
        self.name = name
        self.passwordHash = passwordHash
    }

    public var description: String {
        "\(name): \(passwordHash)"
    }

    public var debugDescription: String {
        description
    }
}
