/// Parses durations as written in the config: a number and a unit, `250ms`, `1.5s`, `2m`, `1h`.
///
/// A unit is required: a bare `30` could mean seconds or milliseconds, and guessing wrong
/// turns a timeout into something 1000× off.
enum DurationSyntax {
    /// Units in nanoseconds, in the order the help text lists them.
    static let units: [(name: String, nanoseconds: Int)] = [
        ("ns", 1),
        ("us", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60 * 1_000_000_000),
        ("h", 3_600 * 1_000_000_000),
    ]

    private static let example = "250ms, 1.5s, 2m or 1h"

    static func parse(_ text: String) throws(ValueSyntaxError) -> Duration {
        let quantity = try DecimalQuantity(parsing: text, kind: "duration", example: example)
        let unitNames = units.map(\.name).joined(separator: ", ")
        guard !quantity.unit.isEmpty else {
            throw ValueSyntaxError("\"\(text)\" needs a unit (\(unitNames)), e.g. \(example)")
        }
        guard let unit = units.first(where: { $0.name == quantity.unit }) else {
            throw ValueSyntaxError(
                "\"\(text)\" has an unknown duration unit \"\(quantity.unit)\"; use one of \(unitNames)"
            )
        }
        let nanoseconds = try quantity.scaled(
            by: unit.nanoseconds, text: text, kind: "duration", baseUnit: "nanoseconds"
        )
        return .nanoseconds(nanoseconds)
    }
}
