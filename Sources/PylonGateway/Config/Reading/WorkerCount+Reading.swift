extension WorkerCount {
    static func read(from node: ConfigNode) -> WorkerCount? {
        node.parsed(expected: "\"auto\" or a number of workers", by: parse)
    }

    static func parse(_ text: String) throws(ValueSyntaxError) -> WorkerCount {
        if text == "auto" {
            return .auto
        }
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(text), (1...maximum).contains(count) else {
            throw ValueSyntaxError("expected \"auto\" or a number of workers from 1 to \(maximum), found \"\(text)\"")
        }
        return .fixed(count)
    }
}
