import Foundation
import XCTest

@testable import PylonGateway

/// `AccessLog.logfmt`, `.json` and `.quoted`: values that need it are quoted and escaped so
/// every line stays one parseable line, and JSON keeps the numeric fields numbers.
final class AccessLogFormattingTests: XCTestCase {
    func testLogfmtLeavesPlainValuesBareAndJoinsWithSpaces() {
        let line = AccessLog.logfmt([("method", "GET"), ("path", "/a/b?x=1%20"), ("status", "200"), ("upstream", "127.0.0.1:9001")])
        // "=" inside a value forces quotes, so x=1 in the path is quoted.
        XCTAssertEqual(line, #"method=GET path="/a/b?x=1%20" status=200 upstream=127.0.0.1:9001"#)
        XCTAssertEqual(AccessLog.logfmt([("path", "/plain/path"), ("route", "none")]), "path=/plain/path route=none")
    }

    func testLogfmtQuotesEmptySpacesQuotesEqualsAndControlCharacters() {
        XCTAssertEqual(AccessLog.logfmt([("a", "")]), #"a="""#)
        XCTAssertEqual(AccessLog.logfmt([("a", "two words")]), #"a="two words""#)
        XCTAssertEqual(AccessLog.logfmt([("a", #"say "hi""#)]), #"a="say \"hi\"""#)
        XCTAssertEqual(AccessLog.logfmt([("a", "k=v")]), #"a="k=v""#)
        XCTAssertEqual(AccessLog.logfmt([("a", "line\nbreak")]), #"a="line\nbreak""#)
        XCTAssertEqual(AccessLog.logfmt([("a", "tab\there")]), #"a="tab\there""#)
        XCTAssertEqual(AccessLog.logfmt([("a", "bell\u{07}")]), #"a="bell\u0007""#)
        XCTAssertEqual(AccessLog.logfmt([("a", "del\u{7F}")]), #"a="del\u007f""#)
        // A backslash alone needs no quotes; inside quotes it is escaped.
        XCTAssertEqual(AccessLog.logfmt([("a", #"back\slash"#)]), #"a=back\slash"#)
        XCTAssertEqual(AccessLog.logfmt([("a", #"back\ slash"#)]), #"a="back\\ slash""#)
        // Non-ASCII text is not a reason to quote.
        XCTAssertEqual(AccessLog.logfmt([("a", "café")]), "a=café")
        // Nothing a client sends can add a line.
        XCTAssertFalse(AccessLog.logfmt([("path", "/x\r\nfake=1")]).contains { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    }

    func testQuotedEscapesLikeJSON() {
        XCTAssertEqual(AccessLog.quoted("plain"), #""plain""#)
        XCTAssertEqual(AccessLog.quoted(""), #""""#)
        XCTAssertEqual(AccessLog.quoted(#"a"b\c"#), #""a\"b\\c""#)
        XCTAssertEqual(AccessLog.quoted("\n\r\t"), #""\n\r\t""#)
        XCTAssertEqual(AccessLog.quoted("\u{00}\u{1F}\u{7F}"), #""\u0000\u001f\u007f""#)
        XCTAssertEqual(AccessLog.quoted("ünï 😀"), "\"ünï 😀\"")
    }

    func testJSONParsesWithNumbersForStatusBytesAndDuration() throws {
        let tricky = "/p?q=\"x\"\\y\n\u{01}ü😀"
        let line = AccessLog.json([
            ("time", "2026-01-01T00:00:00.000Z"), ("path", tricky), ("status", "404"),
            ("bytes", "17"), ("duration_ms", "1.250"), ("route", "none"),
        ])
        XCTAssertFalse(line.contains("\n"))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
        XCTAssertEqual(object["path"] as? String, tricky, "the value survives the round trip")
        XCTAssertEqual(object["route"] as? String, "none")
        XCTAssertEqual(object["time"] as? String, "2026-01-01T00:00:00.000Z")
        for key in ["status", "bytes", "duration_ms"] {
            XCTAssertTrue(object[key] is NSNumber && !(object[key] is String), "\(key) is not a number in \(line)")
        }
        XCTAssertEqual((object["status"] as? NSNumber)?.intValue, 404)
        XCTAssertEqual((object["bytes"] as? NSNumber)?.intValue, 17)
        XCTAssertEqual((object["duration_ms"] as? NSNumber)?.doubleValue ?? 0, 1.25, accuracy: 1e-9)
        XCTAssertTrue(line.hasPrefix(#"{"time":"2026-01-01T00:00:00.000Z","path":"#), "fields keep their order: \(line)")
    }

    func testMillisecondsHaveThreeDecimals() {
        XCTAssertEqual(AccessLog.milliseconds(0), "0.000")
        XCTAssertEqual(AccessLog.milliseconds(5_000), "0.005")
        XCTAssertEqual(AccessLog.milliseconds(50_000), "0.050")
        XCTAssertEqual(AccessLog.milliseconds(1_234_567), "1.234")
        XCTAssertEqual(AccessLog.milliseconds(12_000_000), "12.000")
        XCTAssertEqual(AccessLog.milliseconds(61_000_999_999), "61000.999")
    }

    func testTimestampIsRFC3339UTCWithMilliseconds() {
        let stamp = AccessLog.timestamp()
        XCTAssertNotNil(stamp.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression), stamp)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = formatter.date(from: stamp)
        XCTAssertNotNil(parsed, stamp)
        XCTAssertLessThan(abs(parsed?.timeIntervalSinceNow ?? 100), 5, "the timestamp is now, in UTC")
    }
}
