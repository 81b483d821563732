/// Parses event rates as the HTTP/2 abuse limits are written: a whole number, a slash and a
/// window, `200/30s`, `1000/2m`; a bare unit is one of it, `100/s`.
///
/// The window is any duration, not only s, m or h as in request rates: the abuse limits
/// count frames over a sliding window whose length matters as much as the count.
enum EventRateSyntax {
    private static let example = "200/30s or 100/s"

    static func parse(_ text: String) throws(ValueSyntaxError) -> HTTP2Config.EventRate {
        guard let slash = text.firstIndex(of: "/") else {
            throw ValueSyntaxError("\"\(text)\" is not a rate; write a count, a slash and a time window, e.g. \(example)")
        }
        let count = text[..<slash].trimmingSpaces
        var window = String(text[text.index(after: slash)...].trimmingSpaces)
        if count.hasPrefix("-") || window.hasPrefix("-") {
            throw ValueSyntaxError("a rate must not be negative, found \"\(text)\"")
        }
        guard !count.isEmpty, count.count <= 18, count.allSatisfy({ $0.isASCII && $0.isNumber }), let events = Int(count) else {
            throw ValueSyntaxError("\"\(text)\" does not start with a whole number; write e.g. \(example)")
        }
        guard events > 0 else {
            throw ValueSyntaxError("a count of zero would close a connection at the first such frame; write at least 1, e.g. \(example)")
        }
        // `100/s` reads as "100 per second".
        if let first = window.unicodeScalars.first, !("0"..."9").contains(first) {
            window = "1" + window
        }
        let duration = try DurationSyntax.parse(window)
        guard duration > .zero else {
            throw ValueSyntaxError("\"\(text)\" has a window of zero; write e.g. \(example)")
        }
        return HTTP2Config.EventRate(count: events, per: duration)
    }
}
