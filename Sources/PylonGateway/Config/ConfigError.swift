/// One thing wrong with a config file, tied to the place in the file where it is.
///
/// `line` and `column` are 1-based (columns count Unicode scalars, as libYAML does). A problem that
/// concerns the whole file rather than a place in it (the file is missing, unreadable, not UTF-8)
/// has `line == 0` and `column == 0`, and its description leaves the position out.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The config file's path as it was given to the loader.
    public var file: String
    /// 1-based line of the offending key or value; 0 when the problem is about the whole file.
    public var line: Int
    /// 1-based column of the offending key or value; 0 when the problem is about the whole file.
    public var column: Int
    /// What is wrong, in words meant for the person editing the file.
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:col: message`, the shape compilers use, so editors and terminals can jump to it.
    public var description: String {
        if line == 0 {
            return "\(file): \(message)"
        }
        return "\(file):\(line):\(column): \(message)"
    }
}

/// Every problem found in a config file. Loading collects as many as it can in one pass, so that
/// `pylon check` can show them all at once instead of one per edit-and-retry.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The problems, ordered by their position in the file.
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    /// One `file:line:col: message` per line, in file order.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
