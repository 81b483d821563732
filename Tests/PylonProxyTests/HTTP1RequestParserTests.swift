import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

final class HTTP1RequestParserTests: XCTestCase {
    private func parseAll(_ text: String, limits: HTTP1RequestParser.Limits = .init()) throws -> [HTTP1RequestParser.Event] {
        var parser = HTTP1RequestParser(limits: limits)
        var buffer = ByteBuffer(string: text)
        var events: [HTTP1RequestParser.Event] = []
        while let event = try parser.next(&buffer) { events.append(event) }
        return events
    }

    func testSimpleGetYieldsHeadThenEnd() throws {
        let events = try parseAll("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n")
        guard case .head(let head, .none) = events.first else { return XCTFail("\(events)") }
        XCTAssertEqual(head.method, .GET)
        XCTAssertEqual(head.uri, "/a?b=c")
        XCTAssertEqual(head.headers["host"], ["example.com"])
        XCTAssertEqual(events.last, .end)
    }
}
