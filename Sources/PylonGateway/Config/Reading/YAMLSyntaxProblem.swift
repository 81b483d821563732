import Yams

/// Turns a Yams/libYAML error into a positioned problem, so a syntax error reads like every
/// other config error: `file:line:col: YAML syntax error: …`.
enum YAMLSyntaxProblem {
    static func problem(for error: any Error, yaml: String, file: String) -> ConfigProblem {
        guard let yamlError = error as? YamlError else {
            return ConfigProblem(file: file, line: 1, column: 1, message: "cannot read YAML: \(error)")
        }
        let (position, message) = describe(yamlError, yaml: yaml)
        return ConfigProblem(file: file, line: position.line, column: position.column, message: message)
    }

    private static func describe(_ error: YamlError, yaml: String) -> (SourcePosition, String) {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let position = SourcePosition(line: mark.line, column: mark.column)
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at \(context.mark.line):\(context.mark.column))"
            }
            if character(at: position, in: yaml) == "\t" {
                // libYAML says "found character that cannot start any token", which hides the cause.
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            return (position, message)
        case let .reader(problem, offset, _, _):
            let start = offset.map { position(ofCharacterOffset: $0, in: yaml) } ?? SourcePosition.start
            return (start, "cannot read the file as YAML text: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            // Yams gives the position of the first of the duplicated keys; the mistake is
            // usually the repeat further down, so point there when it can be found.
            let first = SourcePosition(line: context.mark.line, column: context.mark.column)
            if duplicates.count == 1, let key = duplicates.first,
               let repeated = DuplicateKeyLocator.repeatedKey(key, firstAt: first, in: yaml) {
                return (
                    repeated,
                    "duplicate key \"\(key)\"; it is already defined at line \(first.line), column \(first.column)"
                )
            }
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            let noun = duplicates.count == 1 ? "key" : "keys"
            return (first, "duplicate \(noun) \(keys) in this mapping; each key may appear only once")
        default:
            return (.start, "cannot read YAML: \(error)")
        }
    }

    private static func character(at position: SourcePosition, in yaml: String) -> Unicode.Scalar? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard position.line >= 1, position.line <= lines.count else {
            return nil
        }
        let scalars = Array(lines[position.line - 1].unicodeScalars)
        guard position.column >= 1, position.column <= scalars.count else {
            return nil
        }
        return scalars[position.column - 1]
    }

    /// Yams gives reader errors as a character offset; count lines and columns up to it.
    private static func position(ofCharacterOffset offset: Int, in yaml: String) -> SourcePosition {
        var position = SourcePosition.start
        for character in yaml.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                position.line += 1
                position.column = 1
            } else {
                position.column += 1
            }
        }
        return position
    }
}
