/// The Prometheus text exposition format (version 0.0.4) of the shared table's series:
/// one `# HELP` / `# TYPE` block per metric name, series sorted, histograms as cumulative
/// `_bucket{le=…}` lines with `_sum` and `_count`.
enum PrometheusExposition {
    /// `help` gives each known metric name its `# HELP` line; names it lacks (series another
    /// binary created) get only `# TYPE`.
    static func render(_ samples: [SharedMetricsTable.Sample], help: [String: String]) -> String {
        var families: [String: [String: SharedMetricsTable.Value]] = [:]
        for sample in samples {
            let name = Self.metricName(sample.text)
            let merged = families[name]?[sample.text].map { Self.merged($0, sample.value) } ?? sample.value
            families[name, default: [:]][sample.text] = merged
        }
        var output = ""
        for name in families.keys.sorted() {
            let series = families[name]!
            let texts = series.keys.sorted()
            // One TYPE per name: a series recorded as another kind (a binary that changed a
            // metric's kind without a layout bump) is left out rather than mislabelled.
            let kind = Self.typeName(series[texts[0]]!)
            if let text = help[name] { output += "# HELP \(name) \(text)\n" }
            output += "# TYPE \(name) \(kind)\n"
            for text in texts where Self.typeName(series[text]!) == kind {
                Self.append(text, series[text]!, to: &output)
            }
        }
        return output
    }

    private static func append(_ text: String, _ value: SharedMetricsTable.Value, to output: inout String) {
        switch value {
        case .counter(let count):
            output += "\(text) \(count)\n"
        case .gauge(let gauge):
            output += "\(text) \(Self.formatted(gauge))\n"
        case .histogram(let bounds, let counts, let sum):
            let name = Self.metricName(text)
            let labels = Self.labels(text)
            let prefix = labels.isEmpty ? "{" : "{\(labels),"
            var cumulative: UInt64 = 0
            for (index, bound) in bounds.enumerated() {
                cumulative &+= counts[index]
                output += "\(name)_bucket\(prefix)le=\"\(Self.seconds(bound))\"} \(cumulative)\n"
            }
            // The count is the buckets' total rather than a word of its own, so `_count` and
            // `le="+Inf"` agree even when a scrape races a recording.
            cumulative &+= counts[bounds.count]
            let suffix = labels.isEmpty ? "" : "{\(labels)}"
            output += "\(name)_bucket\(prefix)le=\"+Inf\"} \(cumulative)\n"
            output += "\(name)_sum\(suffix) \(Self.seconds(sum))\n"
            output += "\(name)_count\(suffix) \(cumulative)\n"
        }
    }

    /// Two slots with the same text (a claim that looked abandoned but was only slow) are
    /// one series: their counts add up.
    private static func merged(_ first: SharedMetricsTable.Value, _ second: SharedMetricsTable.Value) -> SharedMetricsTable.Value {
        switch (first, second) {
        case (.counter(let a), .counter(let b)):
            return .counter(a &+ b)
        case (.gauge(let a), .gauge(let b)):
            return .gauge(max(a, b))
        case (.histogram(let bounds, let a, let sumA), .histogram(let otherBounds, let b, let sumB)) where bounds == otherBounds:
            return .histogram(bounds: bounds, counts: zip(a, b).map { $0 &+ $1 }, sumNanoseconds: sumA &+ sumB)
        default:
            return first
        }
    }

    private static func typeName(_ value: SharedMetricsTable.Value) -> String {
        switch value {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        }
    }

    /// `name` of `name{labels}`.
    static func metricName(_ text: String) -> String {
        guard let brace = text.firstIndex(of: "{") else { return text }
        return String(text[..<brace])
    }

    /// `labels` of `name{labels}` (empty without labels).
    private static func labels(_ text: String) -> Substring {
        guard let brace = text.firstIndex(of: "{"), text.hasSuffix("}") else { return "" }
        return text[text.index(after: brace)..<text.index(before: text.endIndex)]
    }

    /// A label value with backslash, double quote and newline escaped, as the text format
    /// requires.
    static func escapedLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// `upstream="…",target="…"`: the labels of the per-target gauges.
    static func targetLabels(upstream: String, target: String) -> String {
        "upstream=\"\(Self.escapedLabelValue(upstream))\",target=\"\(Self.escapedLabelValue(target))\""
    }

    /// Nanoseconds as seconds: `0.0025`, `1.0`, `60.0`.
    static func seconds(_ nanoseconds: UInt64) -> String {
        "\(Double(nanoseconds) / 1e9)"
    }

    /// Whole numbers without a fraction (`3`, not `3.0`), the special values as the format spells them.
    static func formatted(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == value.rounded(), abs(value) < 9.0e15 { return "\(Int64(value))" }
        return "\(value)"
    }
}
