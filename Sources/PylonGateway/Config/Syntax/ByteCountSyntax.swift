/// Parses sizes as written in the config: `512` (bytes), `64KiB`, `1MiB`, `1GiB`, `10MB`.
///
/// Binary units (KiB = 1024) and decimal units (KB = 1000) are both accepted because both are
/// common in the wild; units match case-insensitively (`kib`, `KB`, `mb`) since no two differ
/// only by case.
enum ByteCountSyntax {
    /// Units in bytes, in the order the help text lists them.
    static let units: [(name: String, bytes: Int)] = [
        ("B", 1),
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("GiB", 1 << 30),
        ("TiB", 1 << 40),
        ("KB", 1_000),
        ("MB", 1_000_000),
        ("GB", 1_000_000_000),
        ("TB", 1_000_000_000_000),
    ]

    private static let example = "512, 64KiB or 1MiB"

    static func parse(_ text: String) throws(ValueSyntaxError) -> Int {
        let quantity = try DecimalQuantity(parsing: text, kind: "size", example: example)
        let multiplier: Int
        if quantity.unit.isEmpty {
            multiplier = 1
        } else if let unit = units.first(where: { $0.name.lowercased() == quantity.unit.lowercased() }) {
            multiplier = unit.bytes
        } else {
            let unitNames = units.map(\.name).joined(separator: ", ")
            throw ValueSyntaxError(
                "\"\(text)\" has an unknown size unit \"\(quantity.unit)\"; use one of \(unitNames)"
            )
        }
        return try quantity.scaled(by: multiplier, text: text, kind: "size", baseUnit: "bytes")
    }
}
