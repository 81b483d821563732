/// A route's API-key check (`auth: {api_key: …}`): the request's `header` must hold one of
/// `keys`; otherwise the gateway answers 401.
public struct APIKeyAuthConfig: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Request header that carries the key (`header`); default `X-API-Key`.
    public var header: String
    /// The accepted keys, from `keys` (a list of keys or `{name, key}` mappings) or from
    /// `keys_file` (one `key` or `name:key` per line, `#` comments and blank lines ignored,
    /// path relative to the config file), read when the config is loaded; exactly one of the
    /// two is required, with at least one key. Keys are unique, and so are names.
    public var keys: [APIKey]

    public init(header: String = "X-API-Key", keys: [APIKey]) {
        self.header = header
        self.keys = keys
    }

    public var description: String {
        "APIKeyAuthConfig(header: \(header), keys: \(keys.map(\.description).joined(separator: ", ")))"
    }

    public var debugDescription: String {
        description
    }
}

/// One accepted API key, optionally named so logs and metrics can say which client called
/// without ever showing the key.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The client's name (`name`, or the part before `:` in a keys file): letters, digits,
    /// `.`, `_` and `-`; nil when the key was given without one.
    public var name: String?
    /// The key itself (`key`): header-value characters, no surrounding whitespace.
    public var key: String

    public init(name: String? = nil, key: String) {
        self.name = name
        self.key = key
    }

    public var description: String {
        "\(name ?? "<unnamed>"): <redacted>"
    }

    public var debugDescription: String {
        description
    }
}
