import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// Feeding bytes as they arrive: however a request is split across reads, the parser must
/// produce the same heads, the same body bytes and the same ends (or the same error).
final class HTTP1RequestParserIncrementalTests: XCTestCase {
    /// Requests that together exercise every parser state.
    private let samples: [String] = [
        "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Empty:\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.0\r\n\r\n",
        "POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /zero HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        "PUT /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\nhello\r\nB\r\n 0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
        "GET http://example.com:8080/abs?x HTTP/1.1\r\nHost: ignored\r\n\r\n",
        // Pipelined: all kinds back to back in one stream.
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"
            + "GET /4 HTTP/1.1\r\nHost: a\r\n\r\n",
        // Errors must come out the same too (the events before them included).
        "GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\nHost : a\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY",
        "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        // Trailers, then the next request: each request's trailers come with its own end.
        "POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\n0\r\nX-Checksum: 900150983cd24fb0\r\nX-Count:\t1\r\n\r\n"
            + "GET /after HTTP/1.1\r\nHost: a\r\n\r\n",
    ]

    func testSamplesParseWithoutSurprisesOneShot() {
        let summaries = self.samples.map { summarize([Array($0.utf8)]) }
        XCTAssertEqual(summaries[2].messages.first?.body, Array("hello world".utf8))
        XCTAssertEqual(summaries[4].messages.first?.body, Array("hello 0123456789".utf8))
        XCTAssertEqual(summaries[4].messages.first?.trailerLines, ["X-Trailer: t"])
        XCTAssertEqual(summaries[6].messages.map(\.head.uri), ["/1", "/2", "/3", "/4"])
        XCTAssertEqual(summaries[7].error?.status, 400)
        XCTAssertEqual(summaries[7].messages.count, 1)
        XCTAssertEqual(summaries[12].error?.status, 505)
        XCTAssertEqual(summaries[13].messages.map(\.trailerLines), [["X-Checksum: 900150983cd24fb0", "X-Count: 1"], nil])
    }

    func testFeedingOneByteAtATimeGivesTheSameResultAsOneBuffer() {
        for sample in self.samples {
            let bytes = Array(sample.utf8)
            XCTAssertEqual(summarize(bytes.bytewise), summarize([bytes]), sample.debugDescription)
        }
    }

    func testRandomSplitsGiveTheSameResultAsOneBuffer() {
        var generator = SeededGenerator(state: 0x5EED)
        for sample in self.samples {
            let bytes = Array(sample.utf8)
            let expected = summarize([bytes])
            for maxPiece in [2, 3, 7, 16, 64] {
                for _ in 0..<25 {
                    let pieces = bytes.randomPieces(maxPiece: maxPiece, using: &generator)
                    XCTAssertEqual(summarize(pieces), expected, "\(sample.debugDescription) split as \(pieces.map(\.count))")
                }
            }
        }
    }

    func testEverySingleCutGivesTheSameResultAsOneBuffer() {
        for sample in self.samples {
            let bytes = Array(sample.utf8)
            let expected = summarize([bytes])
            for cut in 1..<bytes.count {
                XCTAssertEqual(summarize([Array(bytes[..<cut]), Array(bytes[cut...])]), expected, "\(sample.debugDescription) cut at \(cut)")
            }
        }
    }

    func testLimitErrorsDoNotDependOnSplits() {
        let limits = HTTP1RequestParser.Limits(maxRequestLine: 40, maxHeaderBytes: 60)
        let inputs = [
            "GET /" + String(repeating: "a", count: 60) + " HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 80) + "\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " + String(repeating: "c", count: 80) + "\r\n\r\n",
        ]
        var generator = SeededGenerator(state: 42)
        for input in inputs {
            let bytes = Array(input.utf8)
            let expected = summarize([bytes], limits: limits)
            XCTAssertNotNil(expected.error, input)
            XCTAssertEqual(summarize(bytes.bytewise, limits: limits), expected, input)
            for _ in 0..<20 {
                XCTAssertEqual(summarize(bytes.randomPieces(maxPiece: 9, using: &generator), limits: limits), expected, input)
            }
        }
    }

    // MARK: Pipelining

    func testPipelinedRequestsInOneBufferComeOutInOrder() throws {
        let text = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "DELETE /3 HTTP/1.1\r\nHost: a\r\n\r\n"
        let events = try parseAll(text)
        XCTAssertEqual(events.count, 7)
        let heads: [String] = events.compactMap {
            if case .head(let head, _) = $0 { return "\(head.method.rawValue) \(head.uri)" }
            return nil
        }
        XCTAssertEqual(heads, ["GET /1", "POST /2", "DELETE /3"])
        XCTAssertEqual(events[1], .end(nil))
        XCTAssertEqual(events[3], .body(ByteBuffer(string: "abc")))
        XCTAssertEqual(events[4], .end(nil))
        XCTAssertEqual(events[6], .end(nil))
    }

    func testPipelinedRequestWaitsUnreadInTheBufferUntilAsked() throws {
        let second = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" + second)
        guard case .head = try parser.next(&buffer) else { return XCTFail() }
        XCTAssertEqual(try parser.next(&buffer), .end(nil))
        XCTAssertEqual(buffer.readableBytes, second.utf8.count)
        XCTAssertTrue(parser.isAtMessageStart)
    }

    // MARK: isAtMessageStart

    func testIsAtMessageStartFollowsTheMessageLifecycle() throws {
        var parser = HTTP1RequestParser()
        XCTAssertTrue(parser.isAtMessageStart, "fresh parser")

        var buffer = ByteBuffer(string: "POST / HTTP/1.1\r\nHo")
        XCTAssertNil(try parser.next(&buffer))
        XCTAssertFalse(parser.isAtMessageStart, "part of a head has been seen")

        buffer.writeString("st: a\r\nContent-Length: 4\r\n\r\nab")
        guard case .head(_, .contentLength(4)) = try parser.next(&buffer) else { return XCTFail() }
        XCTAssertFalse(parser.isAtMessageStart, "after a head with a body")
        XCTAssertEqual(try parser.next(&buffer), .body(ByteBuffer(string: "ab")))
        XCTAssertFalse(parser.isAtMessageStart, "inside the body")
        XCTAssertNil(try parser.next(&buffer))

        buffer.writeString("cd")
        XCTAssertEqual(try parser.next(&buffer), .body(ByteBuffer(string: "cd")))
        XCTAssertFalse(parser.isAtMessageStart, "body complete, end not yet handed out")
        XCTAssertEqual(try parser.next(&buffer), .end(nil))
        XCTAssertTrue(parser.isAtMessageStart, "after end")
    }

    func testIsAtMessageStartIsFalseBetweenABodylessHeadAndItsEnd() throws {
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        guard case .head(_, .none) = try parser.next(&buffer) else { return XCTFail() }
        XCTAssertFalse(parser.isAtMessageStart)
        XCTAssertEqual(try parser.next(&buffer), .end(nil))
        XCTAssertTrue(parser.isAtMessageStart)
        XCTAssertNil(try parser.next(&buffer))
        XCTAssertTrue(parser.isAtMessageStart, "an empty buffer does not start a message")
    }

    func testIsAtMessageStartIsFalseDuringAChunkedBodyAndTrueAfterIt() throws {
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        guard case .head(_, .chunked) = try parser.next(&buffer) else { return XCTFail() }
        XCTAssertFalse(parser.isAtMessageStart)
        XCTAssertNil(try parser.next(&buffer))
        buffer.writeString("2\r\nhi\r\n0\r\n")
        XCTAssertEqual(try parser.next(&buffer), .body(ByteBuffer(string: "hi")))
        XCTAssertNil(try parser.next(&buffer))
        XCTAssertFalse(parser.isAtMessageStart, "waiting for the trailer section")
        buffer.writeString("\r\n")
        XCTAssertEqual(try parser.next(&buffer), .end(nil))
        XCTAssertTrue(parser.isAtMessageStart)
    }

    func testLeadingEmptyLinesAloneLeaveTheParserAtMessageStart() throws {
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: "\r\n\r\n")
        XCTAssertNil(try parser.next(&buffer))
        XCTAssertTrue(parser.isAtMessageStart)
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testLeadingCRSplitFromItsLFWaitsInsteadOfFailing() throws {
        let summary = summarize([Array("\r".utf8), Array("\n\r".utf8), Array("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)])
        XCTAssertNil(summary.error)
        XCTAssertEqual(summary.messages.map(\.ended), [true])
    }

    func testHeadEndingCRSplitFromItsLFWaitsInsteadOfFailing() throws {
        let summary = summarize([Array("GET / HTTP/1.1\r".utf8), Array("\nHost: a\r".utf8), Array("\n\r".utf8), Array("\n".utf8)])
        XCTAssertNil(summary.error)
        XCTAssertEqual(summary.messages.map(\.ended), [true])
    }

    // MARK: Content-Length bodies

    func testContentLengthBodySplitAcrossBuffersComesOutPieceByPiece() throws {
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello")
        guard case .head(_, .contentLength(10)) = try parser.next(&buffer) else { return XCTFail() }
        XCTAssertEqual(try parser.next(&buffer), .body(ByteBuffer(string: "hello")))
        XCTAssertNil(try parser.next(&buffer))
        buffer.writeString("wor")
        XCTAssertEqual(try parser.next(&buffer), .body(ByteBuffer(string: "wor")))
        buffer.writeString("ldGET")
        XCTAssertEqual(try parser.next(&buffer), .body(ByteBuffer(string: "ld")))
        XCTAssertEqual(try parser.next(&buffer), .end(nil))
        XCTAssertEqual(buffer.readableBytes, 3, "the next request's bytes are left alone")
        XCTAssertNil(try parser.next(&buffer))
    }

    func testContentLengthZeroYieldsHeadThenEndWithNoBody() throws {
        let events = try parseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(events.count, 2)
        guard case .head(let head, .none) = events[0] else { return XCTFail("\(events)") }
        XCTAssertEqual(head.headers["content-length"], ["0"])
        XCTAssertEqual(events[1], .end(nil))
    }

    func testBodyBytesAreNotParsedAsHeads() throws {
        let body = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        let summary = summarize([Array(text.utf8)])
        XCTAssertNil(summary.error)
        XCTAssertEqual(summary.messages.count, 1)
        XCTAssertEqual(summary.messages.first?.body, Array(body.utf8))
    }

    func testEndIsHandedOutEvenWithAnEmptyBuffer() throws {
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok")
        _ = try parser.next(&buffer)
        _ = try parser.next(&buffer)
        var empty = ByteBuffer()
        XCTAssertEqual(try parser.next(&empty), .end(nil))
    }
}
