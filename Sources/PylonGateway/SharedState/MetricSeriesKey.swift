/// A series' identity as the shared metrics table stores it: the Prometheus text
/// `name{label="value",…}` with the labels sorted by name and the values escaped, so the
/// same labels given in any order are the same series in every process, and the text can
/// be rendered as it is.
struct MetricSeriesKey: Hashable, Sendable {
    let name: String
    let text: String

    init(name: String, labels: [(name: String, value: String)] = []) {
        self.name = name
        guard !labels.isEmpty else {
            self.text = name
            return
        }
        var text = name + "{"
        for (index, label) in labels.sorted(by: { $0.name < $1.name }).enumerated() {
            if index > 0 { text += "," }
            text += label.name + "=\"" + Self.escaped(label.value) + "\""
        }
        self.text = text + "}"
    }

    /// A label value as the text format wants it: backslash, double quote and line feed escaped.
    static func escaped(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        var result = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
