/// A YAML mapping read against a fixed list of keys.
///
/// Unknown keys are reported when the mapping is made, each at its own position, with the
/// closest allowed key as a suggestion: a misspelt optional key would otherwise be silently
/// ignored and its default used, which is the hardest kind of config mistake to notice.
struct ConfigMapping {
    /// The mapping node itself; missing required keys are reported at its position.
    let node: ConfigNode
    private let values: [String: ConfigNode]

    init(_ node: ConfigNode, entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)], allowedKeys: [String]) {
        self.node = node
        var values: [String: ConfigNode] = [:]
        for entry in entries {
            if allowedKeys.contains(entry.key) {
                values[entry.key] = entry.value
                continue
            }
            var message = "unknown key \"\(entry.key)\""
            if let suggestion = Self.closest(to: entry.key, among: allowedKeys) {
                message += " (did you mean \"\(suggestion)\"?)"
            }
            message += "; allowed keys: " + allowedKeys.joined(separator: ", ")
            entry.keyNode.report(message)
        }
        self.values = values
    }

    /// The value under `key`, or nil when the key is absent or null (`key: ~`, `key:`):
    /// an optional key written with no value means its default, as the README's config
    /// reference writes the keys that default to nothing.
    func optional(_ key: String) -> ConfigNode? {
        guard let value = values[key], !value.isNull else { return nil }
        return value
    }

    /// The value under `key`, null included; nil only when the key is absent. For keys
    /// whose bare form means something (`tcp:` is a TCP check with every default).
    func present(_ key: String) -> ConfigNode? {
        values[key]
    }

    /// The value under `key`; when absent, reports it at the mapping's position and returns nil.
    func required(_ key: String) -> ConfigNode? {
        guard let value = values[key] else {
            node.report("missing required key \"\(key)\"")
            return nil
        }
        return value
    }

    /// Reads `key` with `read` into `target` when the key is present and its value valid;
    /// otherwise leaves `target` at its default (a bad value has been reported).
    func readOptional<Value>(_ key: String, into target: inout Value, _ read: (ConfigNode) -> Value?) {
        if let node = optional(key), let value = read(node) {
            target = value
        }
    }

    /// The allowed key within a small edit distance of `key`, ignoring case and `-` vs `_`.
    private static func closest(to key: String, among allowedKeys: [String]) -> String? {
        let normalized = key.lowercased().map { $0 == "-" ? "_" : $0 }
        let ranked = allowedKeys
            .map { (key: $0, distance: editDistance(normalized, Array($0))) }
            .min { $0.distance < $1.distance }
        guard let ranked, ranked.distance <= max(1, min(3, ranked.key.count / 3)) else {
            return nil
        }
        return ranked.key
    }

    /// Levenshtein distance; keys are short, so the quadratic table is fine.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, charA) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, charB) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (charA == charB ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
