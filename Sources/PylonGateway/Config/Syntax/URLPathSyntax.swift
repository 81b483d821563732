/// Paths written in the config (`path_prefix`, the metrics `path`): they are compared with the
/// request target's path, so they must look like one.
enum URLPathSyntax {
    static func parse(_ text: String) throws(ValueSyntaxError) -> String {
        guard text.hasPrefix("/") else {
            throw ValueSyntaxError("path \"\(text)\" must start with \"/\"")
        }
        // A query or fragment never appears in the path being matched, so a rule with one could never match.
        if let bad = text.first(where: { $0 == "?" || $0 == "#" }) {
            throw ValueSyntaxError("path \"\(text)\" contains \"\(bad)\"; paths are matched without query or fragment")
        }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw ValueSyntaxError("path \"\(text)\" contains spaces or control characters; percent-encode them")
        }
        return text
    }
}
