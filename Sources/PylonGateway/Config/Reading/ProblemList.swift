/// Where the readers put every problem they find in one file, so that reading can go on after
/// the first one and `pylon check` can show them all.
///
/// A class because every `ConfigNode` of the document shares it; it lives only for one
/// `ConfigLoader.parse` call on one thread.
final class ProblemList {
    let file: String
    private(set) var problems: [ConfigProblem] = []

    init(file: String) {
        self.file = file
    }

    var isEmpty: Bool {
        problems.isEmpty
    }

    func report(_ message: String, at position: SourcePosition) {
        problems.append(ConfigProblem(file: file, line: position.line, column: position.column, message: message))
    }

    /// The problems in file order; ties keep the order they were found in.
    var inFileOrder: [ConfigProblem] {
        problems.enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }
}

/// A 1-based line and column in the config file.
struct SourcePosition: Equatable {
    var line: Int
    var column: Int

    static let start = SourcePosition(line: 1, column: 1)
}
