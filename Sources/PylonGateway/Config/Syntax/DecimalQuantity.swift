/// A non-negative decimal number followed by an optional unit, as durations and sizes are written
/// (`1.5s`, `64KiB`, `512`).
///
/// Kept as whole and fractional digits rather than a `Double` so that `1.001s` is exactly
/// 1_001_000_000 ns: through binary floating point it becomes 1_000_999_999.
struct DecimalQuantity: Equatable {
    /// The digits before the decimal point.
    var whole: Int
    /// The digits after the decimal point, read as an integer (`"05"` → 5).
    var fraction: Int
    /// How many digits followed the decimal point (`"05"` → 2).
    var fractionDigits: Int
    /// The text after the number, with spaces between number and unit dropped (`"KiB"`, `""`).
    var unit: String

    /// Enough for any duration in nanoseconds or size in bytes that fits an `Int`.
    private static let maxWholeDigits = 18
    /// Finer than a nanosecond or a byte is meaningless for any unit we have.
    private static let maxFractionDigits = 9

    /// Splits `text` into number and unit. `kind` names what is being parsed, for messages.
    init(parsing text: String, kind: String, example: String) throws(ValueSyntaxError) {
        let scalars = Array(text.unicodeScalars)
        if scalars.first == "-" {
            throw ValueSyntaxError("\(kind) must not be negative, found \"\(text)\"")
        }
        var index = 0
        var wholeDigits = ""
        while index < scalars.count, Self.isDigit(scalars[index]) {
            wholeDigits.unicodeScalars.append(scalars[index])
            index += 1
        }
        var fractionText = ""
        var sawPoint = false
        if index < scalars.count, scalars[index] == "." {
            sawPoint = true
            index += 1
            while index < scalars.count, Self.isDigit(scalars[index]) {
                fractionText.unicodeScalars.append(scalars[index])
                index += 1
            }
        }
        guard !wholeDigits.isEmpty, !sawPoint || !fractionText.isEmpty else {
            throw ValueSyntaxError("\"\(text)\" is not a \(kind); write a number and a unit, e.g. \(example)")
        }
        guard wholeDigits.count <= Self.maxWholeDigits, let whole = Int(wholeDigits) else {
            throw ValueSyntaxError("\"\(text)\" is too large for a \(kind)")
        }
        guard fractionText.count <= Self.maxFractionDigits else {
            throw ValueSyntaxError("\"\(text)\" has more decimal places than a \(kind) can use")
        }
        while index < scalars.count, scalars[index] == " " {
            index += 1
        }
        self.whole = whole
        self.fraction = Int(fractionText) ?? 0
        self.fractionDigits = fractionText.count
        var unit = ""
        unit.unicodeScalars.append(contentsOf: scalars[index...])
        self.unit = unit
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar >= "0" && scalar <= "9"
    }

    /// The quantity times `multiplier` (the unit's size in base units), exactly.
    ///
    /// Throws when the result is not a whole number of base units or does not fit an `Int`.
    func scaled(by multiplier: Int, text: String, kind: String, baseUnit: String) throws(ValueSyntaxError) -> Int {
        let (wholePart, wholeOverflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !wholeOverflow else {
            throw ValueSyntaxError("\"\(text)\" is too large for a \(kind)")
        }
        var scale = 1
        for _ in 0..<fractionDigits {
            scale *= 10
        }
        // Only absurd precision overflows here (nine decimals of an hour in nanoseconds).
        let (fractionProduct, fractionOverflow) = fraction.multipliedReportingOverflow(by: multiplier)
        guard !fractionOverflow else {
            throw ValueSyntaxError("\"\(text)\" has more decimal places than a \(kind) can use")
        }
        guard fractionProduct % scale == 0 else {
            throw ValueSyntaxError("\"\(text)\" is not a whole number of \(baseUnit)")
        }
        let (total, totalOverflow) = wholePart.addingReportingOverflow(fractionProduct / scale)
        guard !totalOverflow else {
            throw ValueSyntaxError("\"\(text)\" is too large for a \(kind)")
        }
        return total
    }
}
