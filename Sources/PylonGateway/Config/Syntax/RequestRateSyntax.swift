/// Parses request rates as written in the config: a whole number of requests, a slash and a
/// unit, `10/s`, `600/m`, `1000/h`.
///
/// Whole requests only: `0.5/s` is better written `30/m`, which says the same exactly.
enum RequestRateSyntax {
    /// The fastest rate a limit can express: one request per microsecond, the resolution
    /// of the shared buckets' clock.
    static let maxRequestsPerSecond = 1_000_000

    private static let example = "10/s, 600/m or 1000/h"

    static func parse(_ text: String) throws(ValueSyntaxError) -> RequestRate {
        let units = RatePeriod.allCases.map(\.rawValue).joined(separator: ", ")
        guard let slash = text.firstIndex(of: "/") else {
            throw ValueSyntaxError("\"\(text)\" needs a unit: write requests per s, m or h, e.g. \(example)")
        }
        let count = text[..<slash].trimmingSpaces
        let unit = text[text.index(after: slash)...].trimmingSpaces
        if count.hasPrefix("-") {
            throw ValueSyntaxError("a rate must not be negative, found \"\(text)\"")
        }
        guard !count.isEmpty, count.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            if count.contains(".") {
                throw ValueSyntaxError("\"\(text)\" is not a whole number of requests; write a slower unit instead, e.g. 30/m for 0.5/s")
            }
            throw ValueSyntaxError("\"\(text)\" is not a rate; write a number of requests and a unit, e.g. \(example)")
        }
        guard let period = RatePeriod(rawValue: String(unit)) else {
            throw ValueSyntaxError("\"\(text)\" has an unknown rate unit \"\(unit)\"; use one of \(units)")
        }
        guard count.count <= 18, let requests = Int(count), requests <= maxRequestsPerSecond * period.seconds else {
            throw ValueSyntaxError("\"\(text)\" is too fast: at most \(maxRequestsPerSecond) requests per second can be limited")
        }
        guard requests > 0 else {
            throw ValueSyntaxError(
                "a rate of zero would refuse every request; to switch limiting off, leave rate_limit out (or write rate_limit: off on a route)"
            )
        }
        return RequestRate(requests: requests, per: period)
    }
}
