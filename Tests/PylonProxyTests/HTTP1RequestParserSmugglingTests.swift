import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// Request smuggling defences: every way two parsers could disagree about where a
/// message ends is refused (RFC 9112 §6.3, §5.1, §5.2, §2.2).
final class HTTP1RequestParserSmugglingTests: XCTestCase {
    private func post(_ fields: String, version: String = "HTTP/1.1") -> String {
        "POST /upload \(version)\r\nHost: a\r\n\(fields)\r\n"
    }

    // MARK: Content-Length and Transfer-Encoding together

    func testContentLengthWithTransferEncodingIsRejectedWith400() {
        assertRejected(self.post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), status: 400)
    }

    func testTransferEncodingBeforeContentLengthIsRejectedWith400() {
        assertRejected(self.post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), status: 400)
    }

    func testContentLengthZeroWithTransferEncodingIsRejectedWith400() {
        assertRejected(self.post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"), status: 400)
    }

    // MARK: Content-Length

    func testContentLengthGivesFixedFraming() throws {
        let (_, framing) = try parseHead(self.post("Content-Length: 5\r\n") + "hello")
        XCTAssertEqual(framing, .contentLength(5))
        XCTAssertTrue(framing.hasBody)
    }

    func testContentLengthWithLeadingZerosIsReadAsDecimal() throws {
        let (_, framing) = try parseHead(self.post("Content-Length: 010\r\n"))
        XCTAssertEqual(framing, .contentLength(10))
    }

    func testDuplicateDifferingContentLengthsAreRejectedWith400() {
        assertRejected(self.post("Content-Length: 5\r\nContent-Length: 6\r\n"), status: 400)
    }

    func testCommaSeparatedDifferingContentLengthsAreRejectedWith400() {
        assertRejected(self.post("Content-Length: 5, 6\r\n"), status: 400)
    }

    func testDuplicateIdenticalContentLengthLinesAreAccepted() throws {
        let events = try parseAll(self.post("Content-Length: 5\r\ncontent-length: 5\r\n") + "hello")
        XCTAssertEqual(events.count, 3)
        guard case .head(_, .contentLength(5)) = events.first else { return XCTFail("\(events)") }
        XCTAssertEqual(events[1], .body(ByteBuffer(string: "hello")))
        XCTAssertEqual(events[2], .end(nil))
    }

    func testCommaSeparatedIdenticalContentLengthsAreAccepted() throws {
        let (_, framing) = try parseHead(self.post("Content-Length: 5, 5\r\n") + "hello")
        XCTAssertEqual(framing, .contentLength(5))
        let (_, spaced) = try parseHead(self.post("Content-Length: 5 ,5 , 5\r\n") + "hello")
        XCTAssertEqual(spaced, .contentLength(5))
    }

    func testInvalidContentLengthValuesAreRejectedWith400() {
        let values = [
            "abc", "-1", "+5", "0x10", "5.0", "1 2", "5,", ",5", "5,,5", "", "５",
            "1000000000000000000",  // 19 digits
            "99999999999999999999999999",
        ]
        for value in values {
            let error = assertRejected(self.post("Content-Length: \(value)\r\n"), status: 400)
            XCTAssertNotNil(error, value)
        }
    }

    func testEighteenDigitContentLengthIsAcceptedAsFraming() throws {
        // Bounded elsewhere (413): the parser only has to frame it without overflow.
        let (_, framing) = try parseHead(self.post("Content-Length: 999999999999999999\r\n"))
        XCTAssertEqual(framing, .contentLength(999_999_999_999_999_999))
    }

    // MARK: Transfer-Encoding

    func testChunkedTransferEncodingGivesChunkedFraming() throws {
        let (_, framing) = try parseHead(self.post("Transfer-Encoding: chunked\r\n"))
        XCTAssertEqual(framing, .chunked)
    }

    func testChunkedCodingNameIsCaseInsensitive() throws {
        let (_, framing) = try parseHead(self.post("transfer-encoding: ChUnKeD\r\n"))
        XCTAssertEqual(framing, .chunked)
    }

    func testOtherCodingBeforeChunkedIsRejectedWith501() {
        assertRejected(self.post("Transfer-Encoding: gzip, chunked\r\n"), status: 501)
    }

    func testOtherCodingBeforeChunkedOnSeparateLinesIsRejectedWith501() {
        assertRejected(self.post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), status: 501)
    }

    func testChunkedNotLastIsRejectedWith400() {
        assertRejected(self.post("Transfer-Encoding: chunked, gzip\r\n"), status: 400)
    }

    func testTransferEncodingWithoutChunkedIsRejectedWith400() {
        assertRejected(self.post("Transfer-Encoding: gzip\r\n"), status: 400)
        assertRejected(self.post("Transfer-Encoding: identity\r\n"), status: 400)
    }

    func testEmptyTransferEncodingIsRejectedWith400() {
        assertRejected(self.post("Transfer-Encoding: \r\n"), status: 400)
        assertRejected(self.post("Transfer-Encoding: ,\r\n"), status: 400)
    }

    func testChunkedWithParametersOrJunkIsRejectedWith400() {
        assertRejected(self.post("Transfer-Encoding: chunked;q=1\r\n"), status: 400)
        assertRejected(self.post("Transfer-Encoding: xchunked\r\n"), status: 400)
        assertRejected(self.post("Transfer-Encoding: \"chunked\"\r\n"), status: 400)
    }

    func testTransferEncodingInHTTP10RequestIsRejectedWith400() {
        assertRejected(self.post("Transfer-Encoding: chunked\r\n", version: "HTTP/1.0"), status: 400)
    }

    // MARK: Field syntax

    func testObsFoldIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", status: 400)
    }

    func testObsFoldOnTheFirstHeaderLineIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\n Host: a\r\n\r\n", status: 400)
    }

    func testWhitespaceBeforeColonIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\t: chunked\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello", status: 400)
    }

    func testHeaderLineWithoutColonIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nJustAName\r\n\r\n", status: 400)
    }

    func testEmptyHeaderNameIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\n: value\r\n\r\n", status: 400)
    }

    func testNonTokenCharacterInHeaderNameIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX/A: b\r\n\r\n", status: 400)
        assertRejected(Array("GET / HTTP/1.1\r\nHost: a\r\nX\u{0}A: b\r\n\r\n".utf8), status: 400)
    }

    func testBareLFEndingAHeaderLineIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", status: 400)
    }

    func testBareLFEndingTheRequestLineIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\nHost: a\r\n\r\n", status: 400)
    }

    func testBareLFEndingTheHeadIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\n\n", status: 400)
        assertRejected("GET / HTTP/1.1\nHost: a\n\n", status: 400)
    }

    func testBareCRInsideAHeaderIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", status: 400)
    }

    func testBareCRInTheRequestLineIsRejectedWith400() {
        assertRejected("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
    }

    func testCRCRLFIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", status: 400)
    }

    func testControlCharactersInHeaderValuesAreRejectedWith400() {
        for control: UInt8 in [0x00, 0x01, 0x08, 0x0B, 0x0C, 0x1B, 0x1F, 0x7F] {
            var bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: b".utf8)
            bytes.append(control)
            bytes += Array("c\r\n\r\n".utf8)
            let error = assertRejected(bytes, status: 400)
            XCTAssertNotNil(error, "byte \(control)")
        }
    }

    func testControlCharacterInHostValueIsRejectedWith400() {
        assertRejected(Array("GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n".utf8), status: 400)
    }

    // MARK: Everything after a bad byte is untrusted

    func testSmuggledRequestAfterRejectedHeadIsNeverParsed() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n"
        let (events, error) = feed([Array(text.utf8)])
        XCTAssertEqual(events, [])
        XCTAssertEqual(error?.status, 400)
    }
}
