extension APIKeyAuthConfig {
    static let keys = ["header", "keys", "keys_file"]
    private static let keyKeys = ["name", "key"]

    static func read(from node: ConfigNode) -> APIKeyAuthConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        var header = "X-API-Key"
        map.readOptional("header", into: &header) { $0.parsed(expected: "a header name", by: HeaderRules.parseName) }
        let keys: [APIKey]?
        switch map.either("keys", or: "keys_file", required: true) {
        case ("keys", let value)?: keys = readInline(from: value)
        case (_, let value)?: keys = readFile(from: value)
        case nil: keys = nil
        }
        guard let keys else {
            return nil
        }
        return APIKeyAuthConfig(header: header, keys: keys)
    }

    /// `keys: [key, {name, key}, …]`.
    private static func readInline(from node: ConfigNode) -> [APIKey]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one key is required")
            return nil
        }
        var keys = UniqueKeys()
        var valid = true
        for item in items {
            guard let key = readInlineKey(from: item) else {
                valid = false
                continue
            }
            do throws(ValueSyntaxError) {
                try keys.append(key)
            } catch {
                item.report(error.message)
                valid = false
            }
        }
        return valid ? keys.keys : nil
    }

    private static func readInlineKey(from node: ConfigNode) -> APIKey? {
        guard case .mapping = node.node else {
            return node.parsed(expected: "an API key, or {name, key}", by: parseKey).map { APIKey(key: $0) }
        }
        guard let map = node.mapping(keys: keyKeys) else {
            return nil
        }
        let name = map.required("name").flatMap { $0.parsed(expected: "a client name", by: ConfigNameSyntax.parse) }
        let key = map.required("key").flatMap { $0.parsed(expected: "the API key", by: parseKey) }
        guard let name, let key else {
            return nil
        }
        return APIKey(name: name, key: key)
    }

    /// `keys_file`: one `key` or `name:key` per line.
    private static func readFile(from node: ConfigNode) -> [APIKey]? {
        guard let file = ReferencedFile.read(from: node, expected: "the path of a file of API keys") else {
            return nil
        }
        let entries = file.entries
        guard !entries.isEmpty else {
            node.report("\(file.path) holds no keys, only comments and blank lines")
            return nil
        }
        var keys = UniqueKeys()
        var valid = true
        for entry in entries {
            do throws(ValueSyntaxError) {
                try keys.append(try parseFileLine(entry.text))
            } catch {
                node.report("\(file.path) line \(entry.number): \(error.message)")
                valid = false
            }
        }
        return valid ? keys.keys : nil
    }

    /// `name:key`, or just `key` when the line has no `:` (a key with a `:` needs a name).
    private static func parseFileLine(_ line: String) throws(ValueSyntaxError) -> APIKey {
        guard let colon = line.firstIndex(of: ":") else {
            return APIKey(key: try parseKey(line))
        }
        let name = try ConfigNameSyntax.parse(String(line[..<colon]))
        guard !name.isEmpty else {
            throw ValueSyntaxError("expected name:key, found nothing before the \":\"")
        }
        let key = String(line[line.index(after: colon)...])
        guard !key.isEmpty else {
            throw ValueSyntaxError("expected name:key, found nothing after \"\(name):\"")
        }
        return APIKey(name: name, key: try parseKey(key))
    }

    private static func parseKey(_ text: String) throws(ValueSyntaxError) -> String {
        try HeaderSecretSyntax.parse(text, what: "the key")
    }
}

/// Keys in the order read, each key and each name only once: a repeated key would make its
/// name ambiguous, and a repeated name would make two clients look like one in the logs.
private struct UniqueKeys {
    private(set) var keys: [APIKey] = []
    private var seenKeys: Set<String> = []
    private var seenNames: Set<String> = []

    mutating func append(_ key: APIKey) throws(ValueSyntaxError) {
        guard !seenKeys.contains(key.key) else {
            throw ValueSyntaxError("this key is already listed")
        }
        if let name = key.name {
            guard !seenNames.contains(name) else {
                throw ValueSyntaxError("the name \"\(name)\" is already used by another key")
            }
            seenNames.insert(name)
        }
        seenKeys.insert(key.key)
        keys.append(key)
    }
}
