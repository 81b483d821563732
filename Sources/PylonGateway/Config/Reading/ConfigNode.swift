import Yams

/// One YAML node being read, with its key path (`routes[2].upstream`) for messages and the list
/// its problems go to.
///
/// The typed accessors (`string()`, `duration()`, `mapping(keys:)`, …) return nil after reporting
/// a problem at this node's position, so a section reader can go on reading its other keys and
/// every mistake in the file is found in one pass.
struct ConfigNode {
    let node: Node
    /// Where this node sits, e.g. `listeners[0].address`; empty for the document root.
    let path: String
    let problems: ProblemList

    init(_ node: Node, path: String, problems: ProblemList) {
        self.node = node
        self.path = path
        self.problems = problems
    }

    var position: SourcePosition {
        node.mark.map { SourcePosition(line: $0.line, column: $0.column) } ?? .start
    }

    /// Records a problem at this node, prefixed by the node's key path.
    func report(_ message: String) {
        problems.report(path.isEmpty ? message : "\(path): \(message)", at: position)
    }

    /// An empty value, `~` or `null` written without quotes: YAML's ways of writing nothing.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else {
            return false
        }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What kind of node this is, for "expected X, found Y" messages.
    var kindDescription: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar): return isNull ? "nothing" : "\"\(scalar.string)\""
        }
    }

    // MARK: Scalars

    /// The text of a non-empty scalar; `expected` says what should be here, for the message.
    func scalarText(expected: String) -> String? {
        guard case .scalar(let scalar) = node, !isNull else {
            report("expected \(expected), found \(kindDescription)")
            return nil
        }
        guard !scalar.string.isEmpty else {
            report("expected \(expected), found an empty string")
            return nil
        }
        return scalar.string
    }

    func string() -> String? {
        scalarText(expected: "a string")
    }

    func bool() -> Bool? {
        guard let text = scalarText(expected: "true or false") else {
            return nil
        }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            report("expected true or false, found \"\(text)\"")
            return nil
        }
    }

    /// A whole number written in decimal, within `range`.
    func int(in range: ClosedRange<Int>) -> Int? {
        let expected = range.upperBound == .max
            ? "a whole number ≥ \(range.lowerBound)"
            : "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let text = scalarText(expected: expected) else {
            return nil
        }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else {
            report("expected \(expected), found \"\(text)\"")
            return nil
        }
        guard range.contains(value) else {
            report("\(value) is out of range; expected \(expected)")
            return nil
        }
        return value
    }

    /// A scalar parsed by one of the `…Syntax` parsers, whose error message is reported as is.
    func parsed<Value>(
        expected: String, by parse: (String) throws(ValueSyntaxError) -> Value
    ) -> Value? {
        guard let text = scalarText(expected: expected) else {
            return nil
        }
        do {
            return try parse(text)
        } catch {
            report(error.message)
            return nil
        }
    }

    /// A duration such as `250ms` or `1.5s`, greater than zero.
    func duration() -> Duration? {
        guard let duration = parsed(expected: "a duration such as 250ms or 1.5s", by: DurationSyntax.parse) else {
            return nil
        }
        guard duration > .zero else {
            report("a duration of zero is not allowed here; use a positive duration such as 1s")
            return nil
        }
        return duration
    }

    /// A size in bytes such as `512`, `64KiB` or `1MiB`; zero only when `allowZero`.
    func byteCount(allowZero: Bool = false) -> Int? {
        guard let bytes = parsed(expected: "a size such as 512, 64KiB or 1MiB", by: ByteCountSyntax.parse) else {
            return nil
        }
        guard bytes > 0 || allowZero else {
            report("a size of zero is not allowed here")
            return nil
        }
        return bytes
    }

    /// One of an enum's raw values, e.g. `round_robin`.
    func oneOf<Choice: RawRepresentable & CaseIterable>(_: Choice.Type) -> Choice? where Choice.RawValue == String {
        let choices = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard let text = scalarText(expected: "one of \(choices)") else {
            return nil
        }
        guard let choice = Choice(rawValue: text) else {
            report("\"\(text)\" is not one of \(choices)")
            return nil
        }
        return choice
    }

    // MARK: Collections

    /// The items of a list, each with its index in the key path.
    func list() -> [ConfigNode]? {
        guard case .sequence(let sequence) = node else {
            report("expected a list, found \(kindDescription)")
            return nil
        }
        return sequence.enumerated().map { index, item in
            ConfigNode(item, path: "\(path)[\(index)]", problems: problems)
        }
    }

    /// A mapping with a fixed set of keys; any other key is reported as unknown.
    func mapping(keys: [String]) -> ConfigMapping? {
        guard let entries = entries() else {
            return nil
        }
        return ConfigMapping(self, entries: entries, allowedKeys: keys)
    }

    /// The entries of a mapping whose keys are chosen by the operator (upstream names, header
    /// names), in file order. Keys must be non-empty plain strings.
    func entries() -> [(key: String, keyNode: ConfigNode, value: ConfigNode)]? {
        guard case .mapping(let mapping) = node else {
            report("expected a mapping, found \(kindDescription)")
            return nil
        }
        var entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)] = []
        for (keyNode, valueNode) in mapping {
            let key = ConfigNode(keyNode, path: path, problems: problems)
            guard case .scalar(let scalar) = keyNode, !key.isNull else {
                key.report("keys must be plain names, found \(key.kindDescription)")
                continue
            }
            let childPath = path.isEmpty ? scalar.string : "\(path).\(scalar.string)"
            entries.append((scalar.string, key, ConfigNode(valueNode, path: childPath, problems: problems)))
        }
        return entries
    }

    /// The value under `key` if this is a mapping that has it; reports nothing. For cross-checks
    /// that need the position of a value already read.
    func lookup(_ key: String) -> ConfigNode? {
        guard case .mapping(let mapping) = node, let value = mapping[key] else {
            return nil
        }
        return ConfigNode(value, path: path.isEmpty ? key : "\(path).\(key)", problems: problems)
    }
}
