/// Finds where a duplicated key is repeated in a block mapping, given where it first appears.
///
/// Yams rejects duplicate keys before it builds a tree, and only says where the first one is, so
/// this scans the text: the repeat is a later line indented to exactly the first key's column
/// that starts with the same key, before any line indented less (which ends the mapping).
/// Flow mappings (`{a: 1, a: 2}`) are not searched; the caller then falls back to the first key.
enum DuplicateKeyLocator {
    static func repeatedKey(_ key: String, firstAt first: SourcePosition, in yaml: String) -> SourcePosition? {
        let lines = yaml.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        let indent = first.column - 1
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        // `first.line` is 1-based, so as a 0-based index it is the line after the first key.
        for index in first.line..<max(first.line, lines.count) {
            let line = lines[index]
            let leadingSpaces = line.prefix { $0 == " " }.count
            let rest = line.dropFirst(leadingSpaces)
            if rest.isEmpty || rest.hasPrefix("#") {
                continue
            }
            if leadingSpaces < indent {
                return nil
            }
            guard leadingSpaces == indent else {
                continue
            }
            for spelling in spellings where rest.hasPrefix(spelling) {
                if rest.dropFirst(spelling.count).drop(while: { $0 == " " }).hasPrefix(":") {
                    return SourcePosition(line: index + 1, column: indent + 1)
                }
            }
        }
        return nil
    }
}
