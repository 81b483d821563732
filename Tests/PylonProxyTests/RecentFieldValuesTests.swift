import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// A connection's heads share the Strings of long field values that repeat from one head
/// to the next, and only values whose bytes are the same.
final class RecentFieldValuesTests: XCTestCase {
    private let userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"

    /// Where a String's UTF-8 lives: equal for two Strings only when they share storage.
    private func storage(_ string: String) -> UnsafeRawPointer? {
        string.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    private func heads(_ requests: [String]) throws -> [HTTPRequestHead] {
        var parser = HTTP1RequestParser()
        var input = ByteBuffer(string: requests.joined())
        var heads: [HTTPRequestHead] = []
        while let event = try parser.next(&input) {
            if case .head(let head, _) = event { heads.append(head) }
        }
        return heads
    }

    func testARepeatedLongValueOnOneConnectionSharesTheFirstHeadsString() throws {
        let request = "GET / HTTP/1.1\r\nHost: a.test\r\nUser-Agent: \(self.userAgent)\r\n\r\n"
        let heads = try self.heads([request, request])
        XCTAssertEqual(heads.count, 2)
        let first = heads[0].headers["User-Agent"][0]
        let second = heads[1].headers["User-Agent"][0]
        XCTAssertEqual(second, self.userAgent)
        XCTAssertNotNil(self.storage(first))
        XCTAssertEqual(self.storage(first), self.storage(second))
    }

    func testAChangedValueGetsItsOwnStringWithItsOwnBytes() throws {
        let cookie = "session=8f14e45fceea167a5a36dedd4bea2543"
        let changed = "session=8f14e45fceea167a5a36dedd4bea2544"
        let heads = try self.heads([
            "GET / HTTP/1.1\r\nHost: a.test\r\nCookie: \(cookie)\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a.test\r\nCookie: \(changed)\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a.test\r\nX-Other: \(changed)\r\nCookie: \(cookie)\r\n\r\n",
        ])
        XCTAssertEqual(heads.map { $0.headers["Cookie"] }, [[cookie], [changed], [cookie]])
        XCTAssertEqual(heads[2].headers["X-Other"], [changed])
        XCTAssertNotEqual(self.storage(heads[0].headers["Cookie"][0]), self.storage(heads[1].headers["Cookie"][0]))
    }

    func testAValueWithInvalidUTF8IsRepairedEveryTimeAndNeverTakenForItsBytes() throws {
        var values = RecentFieldValues()
        let invalid: [UInt8] = Array("caf".utf8) + [0xE9] + Array(" au lait, s'il vous plait".utf8)
        let repaired = String(decoding: invalid, as: UTF8.self)
        for _ in 0..<2 {
            let value = invalid.withUnsafeBytes { values.value($0, at: 0) }
            XCTAssertEqual(value, repaired)
            XCTAssertNotEqual(Array(value.utf8), invalid)
        }
        // The repaired String's own bytes are a different value, which it matches.
        let repairedBytes = Array(repaired.utf8)
        XCTAssertEqual(repairedBytes.withUnsafeBytes { values.value($0, at: 0) }, repaired)
    }

    func testUpstreamResponsesShareARepeatedDateString() throws {
        let response = """
            HTTP/1.1 200 OK\r
            Date: Thu, 26 Nov 2026 14:50:00 GMT\r
            Content-Length: 0\r
            \r

            """
        var parser = HTTP1ResponseParser()
        var dates: [String] = []
        var input = ByteBuffer(string: response + response)
        for _ in 0..<2 {
            parser.expectResponse(to: .GET)
            while let event = try parser.next(&input) {
                if case .head(let head) = event { dates.append(head.headers["Date"][0]) }
                if case .end = event { break }
            }
        }
        XCTAssertEqual(dates, ["Thu, 26 Nov 2026 14:50:00 GMT", "Thu, 26 Nov 2026 14:50:00 GMT"])
        XCTAssertEqual(self.storage(dates[0]), self.storage(dates[1]))
    }
}
