import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// Chunked request bodies (RFC 9112 §7.1): sizes, extensions, trailers, and the errors.
final class HTTP1RequestParserChunkedTests: XCTestCase {
    private let head = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

    /// The body bytes and whether `.end` came, for a chunked request whose body is `body`.
    private func body(
        _ body: String, limits: HTTP1RequestParser.Limits = .init(), file: StaticString = #filePath, line: UInt = #line
    ) -> (String, ended: Bool, error: RequestParseError?) {
        let summary = summarize([Array((self.head + body).utf8)], limits: limits)
        guard let message = summary.messages.first else {
            XCTFail("no head: \(summary)", file: file, line: line)
            return ("", false, summary.error)
        }
        XCTAssertEqual(message.framing, .chunked, file: file, line: line)
        return (String(decoding: message.body, as: UTF8.self), message.ended, summary.error)
    }

    func testChunkedBodyYieldsHeadBodyPiecesAndEnd() throws {
        let events = try parseAll(self.head + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        XCTAssertEqual(events.count, 4)
        guard case .head(let head, .chunked) = events[0] else { return XCTFail("\(events)") }
        XCTAssertEqual(head.uri, "/up")
        XCTAssertEqual(events[1], .body(ByteBuffer(string: "hello")))
        XCTAssertEqual(events[2], .body(ByteBuffer(string: " world")))
        XCTAssertEqual(events[3], .end(nil))
    }

    func testEmptyChunkedBodyIsJustTheLastChunk() throws {
        let events = try parseAll(self.head + "0\r\n\r\n")
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events[1], .end(nil))
    }

    func testChunkSizesAreHexInUpperAndLowerCase() {
        let sixteen = String(repeating: "x", count: 16)
        let thirtyOne = String(repeating: "y", count: 31)
        let result = self.body("a\r\n0123456789\r\nA\r\nabcdefghij\r\n10\r\n\(sixteen)\r\n1f\r\n\(thirtyOne)\r\n1F\r\n\(thirtyOne)\r\n0\r\n\r\n")
        XCTAssertNil(result.error)
        XCTAssertTrue(result.ended)
        XCTAssertEqual(result.0, "0123456789abcdefghij" + sixteen + thirtyOne + thirtyOne)
    }

    func testChunkSizeWithLeadingZerosIsAccepted() {
        let result = self.body("0005\r\nhello\r\n000\r\n\r\n")
        XCTAssertNil(result.error)
        XCTAssertEqual(result.0, "hello")
        XCTAssertTrue(result.ended)
    }

    func testChunkExtensionsAreIgnored() {
        let result = self.body("5;name=value\r\nhello\r\n3;a;b=\"q;u o=ted\"\r\nabc\r\n0;last\r\n\r\n")
        XCTAssertNil(result.error)
        XCTAssertEqual(result.0, "helloabc")
        XCTAssertTrue(result.ended)
    }

    func testChunkExtensionAfterWhitespaceIsAccepted() {
        let result = self.body("5 ;name=value\r\nhello\r\n5\t; x\r\nworld\r\n0\r\n\r\n")
        XCTAssertNil(result.error)
        XCTAssertEqual(result.0, "helloworld")
    }

    func testControlCharacterInChunkExtensionIsRejectedWith400() {
        XCTAssertEqual(self.body("5;a=\u{1}\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("5;a=b\rc\r\nhello\r\n0\r\n\r\n").error?.status, 400)
    }

    func testTrailersComeWithTheEndNotInTheHead() throws {
        let events = try parseAll(self.head + "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nx-other:  1 \r\n\r\n")
        XCTAssertEqual(events.count, 3)
        guard case .head(let head, .chunked) = events[0] else { return XCTFail("\(events)") }
        XCTAssertTrue(head.headers["x-checksum"].isEmpty)
        XCTAssertEqual(events[1], .body(ByteBuffer(string: "hello")))
        guard case .end(let trailers?) = events[2] else { return XCTFail("no trailers: \(events)") }
        // As sent, in order, names in their case, values without the surrounding whitespace.
        XCTAssertEqual(trailers.map { "\($0.name): \($0.value)" }, ["X-Checksum: abc", "x-other: 1"])
    }

    func testTrailersAreHandedOutAsSentForwardingDecidesWhatGoesOn() throws {
        // The parser filters nothing: `TrailerFields.forwardable` does, for both directions.
        let events = try parseAll(self.head + "0\r\nContent-Length: 5\r\nX-Checksum: abc\r\n\r\n")
        guard case .end(let trailers?) = events.last else { return XCTFail("no trailers: \(events)") }
        XCTAssertEqual(trailers.map { "\($0.name): \($0.value)" }, ["Content-Length: 5", "X-Checksum: abc"])
    }

    func testChunkedBodyWithoutTrailersEndsWithNone() throws {
        let events = try parseAll(self.head + "5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(events.last, .end(nil))
    }

    func testTrailersBelongToTheirOwnRequestOnly() throws {
        let text = self.head + "0\r\nX-T: 1\r\n\r\n" + self.head + "0\r\n\r\n" + self.head + "0\r\nX-T: 3\r\n\r\n"
        let summary = summarize([Array(text.utf8)])
        XCTAssertNil(summary.error)
        XCTAssertEqual(summary.messages.map(\.trailerLines), [["X-T: 1"], nil, ["X-T: 3"]])
    }

    func testRequestAfterTrailersIsParsedNext() throws {
        let text = self.head + "0\r\nX-T: 1\r\n\r\n" + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
        let summary = summarize([Array(text.utf8)])
        XCTAssertNil(summary.error)
        XCTAssertEqual(summary.messages.map(\.head.uri), ["/up", "/next"])
        XCTAssertEqual(summary.messages.map(\.ended), [true, true])
        XCTAssertEqual(summary.messages.map(\.trailerLines), [["X-T: 1"], nil])
    }

    func testMalformedTrailerFieldIsRejectedWith400() {
        XCTAssertEqual(self.body("0\r\nX-T : 1\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("0\r\nX-T: 1\r\n folded\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("0\r\nno colon\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("0\r\nX-T: a\u{1}b\r\n\r\n").error?.status, 400)
    }

    func testBareLFInTrailersIsRejectedWith400() {
        XCTAssertEqual(self.body("0\r\nX-T: 1\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("0\r\n\n").error?.status, 400)
    }

    // MARK: Bad chunk sizes

    func testNonHexChunkSizeIsRejectedWith400() {
        XCTAssertEqual(self.body("zz\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("5z\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("g\r\nhello\r\n0\r\n\r\n").error?.status, 400)
    }

    func testEmptyChunkSizeIsRejectedWith400() {
        XCTAssertEqual(self.body("\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body(";ext\r\nhello\r\n0\r\n\r\n").error?.status, 400)
    }

    func testSignedOrPrefixedChunkSizeIsRejectedWith400() {
        XCTAssertEqual(self.body("-5\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("+5\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("0x5\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body(" 5\r\nhello\r\n0\r\n\r\n").error?.status, 400)
    }

    func testChunkSizeWithSixteenHexDigitsIsRejectedWith400() {
        XCTAssertEqual(self.body("1000000000000000\r\nhello\r\n").error?.status, 400)
        XCTAssertEqual(self.body("ffffffffffffffff\r\nhello\r\n").error?.status, 400)
        XCTAssertEqual(self.body("00000000000000005\r\nhello\r\n").error?.status, 400)
    }

    func testChunkSizeWithFifteenHexDigitsIsAcceptedAsFraming() {
        let result = self.body("fffffffffffffff\r\nsome")
        XCTAssertNil(result.error)
        XCTAssertEqual(result.0, "some")
        XCTAssertFalse(result.ended)
    }

    func testChunkSizeLineEndedByBareLFIsRejectedWith400() {
        XCTAssertEqual(self.body("5\nhello\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("5\r\nhello\r\n0\n\r\n").error?.status, 400)
    }

    func testMissingCRLFAfterChunkDataIsRejectedWith400() {
        XCTAssertEqual(self.body("5\r\nhelloX\r\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("5\r\nhello0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("5\r\nhello\n0\r\n\r\n").error?.status, 400)
        XCTAssertEqual(self.body("5\r\nhello\rX0\r\n\r\n").error?.status, 400)
    }

    func testChunkDataLongerThanItsSizeIsRejectedWith400() {
        let result = self.body("3\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(result.0, "hel")
        XCTAssertEqual(result.error?.status, 400)
    }

    func testOverlongChunkSizeLineIsRejectedWith400() {
        let extensions = ";" + String(repeating: "e", count: 5000)
        XCTAssertEqual(self.body("5\(extensions)\r\nhello\r\n0\r\n\r\n").error?.status, 400)
        // Also before its LF has arrived.
        XCTAssertEqual(self.body("5\(extensions)").error?.status, 400)
    }

    // MARK: Trailer limit

    /// A trailer section (trailer field lines and the final empty line) of exactly `length` bytes.
    private func trailerSection(length: Int) -> String {
        let section = "X-Trailer: " + String(repeating: "t", count: length - 15) + "\r\n\r\n"
        precondition(section.utf8.count == length)
        return section
    }

    private let trailerLimits = HTTP1RequestParser.Limits(maxRequestLine: 1024, maxHeaderBytes: 100)

    func testTrailerSectionExactlyAtTheHeaderLimitIsAccepted() {
        let result = self.body("5\r\nhello\r\n0\r\n" + self.trailerSection(length: 100), limits: self.trailerLimits)
        XCTAssertNil(result.error)
        XCTAssertTrue(result.ended)
    }

    func testCompleteTrailerSectionOverTheHeaderLimitIsRejectedWith431() {
        let result = self.body("5\r\nhello\r\n0\r\n" + self.trailerSection(length: 101), limits: self.trailerLimits)
        XCTAssertEqual(result.error?.status, 431)
        XCTAssertFalse(result.ended)
    }

    func testIncompleteTrailerSectionOverTheHeaderLimitIsRejectedWith431() {
        let result = self.body("0\r\nX-Trailer: " + String(repeating: "t", count: 200), limits: self.trailerLimits)
        XCTAssertEqual(result.error?.status, 431)
    }

    func testManyTrailerLinesCountTogetherAgainstTheHeaderLimit() {
        let result = self.body("0\r\n" + String(repeating: "T: 1\r\n", count: 20) + "\r\n", limits: self.trailerLimits)
        XCTAssertEqual(result.error?.status, 431)
    }

    func testTrailerBytesDoNotCarryOverToTheNextRequest() throws {
        let section = self.trailerSection(length: 100)
        let one = self.head + "0\r\n" + section
        let events = try parseAll(one + one + one, limits: self.trailerLimits)
        let ends: [HTTPHeaders?] = events.compactMap {
            if case .end(let trailers) = $0 { return trailers }
            return nil
        }
        XCTAssertEqual(ends.count, 3)
        XCTAssertEqual(ends.map { $0?.count }, [1, 1, 1])
    }
}
