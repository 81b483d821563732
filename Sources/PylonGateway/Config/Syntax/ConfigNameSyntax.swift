/// Names the config gives things (listeners, upstreams): letters, digits, `.`, `_` and `-`.
///
/// Kept this narrow because names travel further than the config: listener names are matched
/// against systemd's `LISTEN_FDNAMES` (colon-separated) and names end up as metric labels
/// and in log lines, where spaces or quotes would need escaping.
enum ConfigNameSyntax {
    static func parse(_ text: String) throws(ValueSyntaxError) -> String {
        guard text.utf8.count <= 255 else {
            throw ValueSyntaxError("name \"\(text.prefix(20))…\" is longer than 255 bytes")
        }
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }) else {
            throw ValueSyntaxError("name \"\(text)\" may only use letters, digits, \".\", \"_\" and \"-\"")
        }
        return text
    }
}
