extension BasicAuthConfig {
    static let keys = ["realm", "users", "users_file"]

    static func read(from node: ConfigNode) -> BasicAuthConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var realm = "pylon"
        map.readOptional("realm", into: &realm) { $0.parsed(expected: "a realm name", by: parseRealm) }
        let users: [BasicAuthUser]?
        switch map.either("users", or: "users_file", required: true) {
        case ("users", let value)?: users = readInline(from: value)
        case (_, let value)?: users = readFile(from: value)
        case nil: users = nil
        }
        guard let users else {
            return nil
        }
        return BasicAuthConfig(realm: realm, users: users)
    }

    /// `users: {name: hash, …}`.
    private static func readInline(from node: ConfigNode) -> [BasicAuthUser]? {
        guard let entries = node.entries() else {
            return nil
        }
        guard !entries.isEmpty else {
            node.report("at least one user is required")
            return nil
        }
        var users = UniqueUsers()
        var valid = true
        for entry in entries {
            let name = entry.keyNode.parsed(expected: "a user name", by: parseUserName)
            let hash = entry.value.parsed(expected: "a password hash", by: PasswordHashSyntax.parse)
            guard let name, let hash else {
                valid = false
                continue
            }
            do throws(ValueSyntaxError) {
                try users.append(BasicAuthUser(name: name, passwordHash: hash))
            } catch {
                entry.keyNode.report(error.message)
                valid = false
            }
        }
        return valid ? users.users : nil
    }

    /// `users_file`: one `name:hash` per line, as in an htpasswd file.
    private static func readFile(from node: ConfigNode) -> [BasicAuthUser]? {
        guard let file = ReferencedFile.read(from: node, expected: "the path of a file of users") else {
            return nil
        }
        let entries = file.entries
        guard !entries.isEmpty else {
            node.report("\(file.path) holds no users, only comments and blank lines")
            return nil
        }
        var users = UniqueUsers()
        var valid = true
        for entry in entries {
            do throws(ValueSyntaxError) {
                guard let colon = entry.text.firstIndex(of: ":") else {
                    throw ValueSyntaxError("expected name:hash")
                }
                let name = try parseUserName(String(entry.text[..<colon]))
                let hash = try PasswordHashSyntax.parse(String(entry.text[entry.text.index(after: colon)...]))
                try users.append(BasicAuthUser(name: name, passwordHash: hash))
            } catch {
                node.report("\(file.path) line \(entry.number): \(error.message)")
                valid = false
            }
        }
        return valid ? users.users : nil
    }

    /// A user name a client can send: Basic joins it to the password with `:` (RFC 7617 §2), so
    /// it cannot hold one, nor control characters.
    static func parseUserName(_ text: String) throws(ValueSyntaxError) -> String {
        guard !text.isEmpty else {
            throw ValueSyntaxError("expected a user name, found nothing")
        }
        guard !text.contains(":") else {
            throw ValueSyntaxError("user name \"\(text)\" contains \":\", which Basic uses to separate it from the password")
        }
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw ValueSyntaxError("a user name cannot contain control characters")
        }
        return text
    }

    /// The realm is sent as a quoted string; `"` and `\` would need escaping that clients
    /// handle inconsistently, so they are refused.
    static func parseRealm(_ text: String) throws(ValueSyntaxError) -> String {
        guard HTTPFieldSyntax.isFieldValue(text), !text.contains("\""), !text.contains("\\") else {
            throw ValueSyntaxError("a realm cannot contain \", \\ or control characters")
        }
        return text
    }
}

/// Users in the order read, each name only once: two hashes for one name would leave which
/// one counts to chance.
private struct UniqueUsers {
    private(set) var users: [BasicAuthUser] = []
    private var seen: Set<String> = []

    mutating func append(_ user: BasicAuthUser) throws(ValueSyntaxError) {
        guard seen.insert(user.name).inserted else {
            throw ValueSyntaxError("user \"\(user.name)\" is already listed")
        }
        users.append(user)
    }
}
