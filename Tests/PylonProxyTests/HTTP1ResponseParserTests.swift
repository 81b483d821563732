import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// The upstream side's response parser: framing by status, method and fields (RFC 9112
/// §6.3), interim responses, trailers, and the ambiguous responses it refuses.
final class HTTP1ResponseParserTests: XCTestCase {
    /// Every event for `response` to a request with `method`, fed split at every `step`
    /// bytes, plus the error that stopped the parse.
    private func parse(
        _ response: String, method: HTTPMethod = .GET, step: Int = .max, endOfInput: Bool = false
    ) -> (events: [HTTP1ResponseParser.Event], error: ResponseParseError?) {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(to: method)
        var buffer = ByteBuffer()
        var events: [HTTP1ResponseParser.Event] = []
        let bytes = Array(response.utf8)
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + min(step, bytes.count))
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            do {
                while let event = try parser.next(&buffer) { events.append(event) }
            } catch {
                return (events, error)
            }
        } while offset < bytes.count
        if endOfInput, let event = parser.endOfInput() { events.append(event) }
        return (events, nil)
    }

    /// The head, the concatenated body and whether `.end` came.
    private func summary(_ events: [HTTP1ResponseParser.Event]) -> (heads: [ResponseHead], body: String, ended: Bool, trailers: HTTPHeaders?) {
        var heads: [ResponseHead] = []
        var body = ""
        var ended = false
        var trailers: HTTPHeaders?
        for event in events {
            switch event {
            case .head(let head): heads.append(head)
            case .body(let piece): body += String(buffer: piece)
            case .end(let fields):
                ended = true
                trailers = fields
            }
        }
        return (heads, body, ended, trailers)
    }

    func testContentLengthResponseYieldsHeadBodyAndEndWhateverTheSplit() {
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: b\r\n\r\nhello"
        for step in [1, 2, 7, 1000] {
            let (events, error) = self.parse(response, step: step)
            XCTAssertNil(error)
            let result = self.summary(events)
            XCTAssertEqual(result.heads.map(\.status), [.ok], "step \(step)")
            XCTAssertEqual(result.heads.first?.headers["server"], ["b"])
            XCTAssertEqual(result.body, "hello", "step \(step)")
            XCTAssertTrue(result.ended, "step \(step)")
        }
    }

    func testChunkedResponseIsDecodedAndItsTrailersKept() {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\ngrpc-status: 0\r\n\r\n"
        for step in [1, 3, 1000] {
            let (events, error) = self.parse(response, step: step)
            XCTAssertNil(error)
            let result = self.summary(events)
            XCTAssertEqual(result.body, "hello!", "step \(step)")
            XCTAssertTrue(result.ended)
            XCTAssertEqual(result.trailers?["grpc-status"], ["0"])
        }
    }

    func testResponseWithoutLengthRunsUntilTheConnectionCloses() {
        let (events, error) = self.parse("HTTP/1.0 200 OK\r\n\r\nall of it", endOfInput: true)
        XCTAssertNil(error)
        let result = self.summary(events)
        XCTAssertEqual(result.heads.first?.version, .http1_0)
        XCTAssertEqual(result.body, "all of it")
        XCTAssertTrue(result.ended)
    }

    func testCutShortBodyDoesNotEndAtEndOfInput() {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        XCTAssertNotNil(try parser.next(&buffer))
        XCTAssertNotNil(try parser.next(&buffer))
        XCTAssertNil(parser.endOfInput())
    }

    func testHeadAnd204And304ResponsesHaveNoBodyWhateverTheirFieldsSay() {
        let cases: [(String, HTTPMethod)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", .HEAD),
            ("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", .GET),
            ("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", .GET),
        ]
        for (response, method) in cases {
            let (events, error) = self.parse(response, method: method)
            XCTAssertNil(error, response)
            XCTAssertEqual(events.count, 2, response)
            XCTAssertEqual(events.last, .end(nil), response)
        }
    }

    func testInterimResponsesComeBeforeTheFinalOne() {
        let response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
        let (events, error) = self.parse(response, step: 5)
        XCTAssertNil(error)
        let result = self.summary(events)
        XCTAssertEqual(result.heads.map(\.status.code), [100, 103, 201])
        XCTAssertTrue(result.ended)
    }

    func testBytesAfterTheResponseAreLeftInTheBuffer() throws {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
        var events: [HTTP1ResponseParser.Event] = []
        while let event = try parser.next(&buffer) { events.append(event) }
        XCTAssertEqual(events.last, .end(nil))
        XCTAssertEqual(String(buffer: buffer), "EXTRA")
    }

    func testUnknownStatusKeepsTheUpstreamsReasonPhrase() {
        let (events, _) = self.parse("HTTP/1.1 599 Network Thing\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(self.summary(events).heads.first?.status.reasonPhrase, "Network Thing")
        let (bare, error) = self.parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")
        XCTAssertNil(error)
        XCTAssertEqual(self.summary(bare).heads.first?.status, .ok)
    }

    func testAmbiguousOrMalformedResponsesAreRefused() {
        let refused = [
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
            "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
            "HTTP/2.0 200 OK\r\n\r\n",
            "http/1.1 200 OK\r\n\r\n",
            "HTTX/1.1 200 OK\r\n\r\n",
            "HTTP/1,1 200 OK\r\n\r\n",
            "HTTP-1.1 200 OK\r\n\r\n",
            "HTTP/1.1 2x0 OK\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "ICY 200 OK\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY",
        ]
        for response in refused {
            let (_, error) = self.parse(response)
            XCTAssertNotNil(error, response.debugDescription)
        }
    }

    func testDuplicateEqualContentLengthsAreOneLength() {
        let (events, error) = self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")
        XCTAssertNil(error)
        XCTAssertEqual(self.summary(events).body, "ok")
    }

    func testOversizedHeadIsRefusedBeforeItArrivesWhole() {
        var parser = HTTP1ResponseParser(limits: .init(maxStatusLine: 100, maxHeaderBytes: 200))
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 300))
        XCTAssertThrowsError(try parser.next(&buffer)) { error in
            XCTAssertTrue("\(error)".contains("larger than 200"), "\(error)")
        }
    }

    func testTransferEncodingNotEndingInChunkedRunsUntilClose() {
        let (events, error) = self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz", endOfInput: true)
        XCTAssertNil(error)
        let result = self.summary(events)
        XCTAssertEqual(result.body, "zzz")
        XCTAssertTrue(result.ended)
    }

    func testNothingIsReadWhileNoRequestIsOutstanding() throws {
        var parser = HTTP1ResponseParser()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")
        XCTAssertNil(try parser.next(&buffer))
        XCTAssertEqual(buffer.readableBytes, 19)
    }

    func testKeepAliveFollowsTheVersionAndTheConnectionOptions() throws {
        let cases: [(String, Bool)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nConnection: x-foo, CLOSE\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true),
        ]
        for (response, keepsAlive) in cases {
            var parser = HTTP1ResponseParser()
            parser.expectResponse(to: .GET)
            var buffer = ByteBuffer(string: response)
            _ = try parser.next(&buffer)
            XCTAssertEqual(parser.lastHeadKeepsAlive, keepsAlive, response)
        }
    }

    func testHopByHopFieldsAreDroppedAndEverythingElseKeptInOrder() {
        let response =
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nServer: b\r\nKeep-Alive: timeout=5\r\n"
            + "x-hop: 1\r\nContent-Length: 2\r\nTrailer: x-t\r\nSet-Cookie: a=1\r\nUpgrade: h2c\r\n"
            + "Proxy-Authenticate: Basic\r\nset-cookie: b=2\r\n\r\nok"
        let (events, error) = self.parse(response)
        XCTAssertNil(error)
        let fields = self.summary(events).heads.first?.headers.map { "\($0.name): \($0.value)" }
        XCTAssertEqual(fields, ["Server: b", "Content-Length: 2", "Set-Cookie: a=1", "set-cookie: b=2"])
    }

    func testTheAnnouncedLengthIsKeptForTheClientsFraming() throws {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(to: .HEAD)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 12, 12\r\n\r\n")
        _ = try parser.next(&buffer)
        XCTAssertEqual(parser.lastHeadContentLength, 12)
        parser.expectResponse(to: .GET)
        buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        _ = try parser.next(&buffer)
        XCTAssertNil(parser.lastHeadContentLength)
    }
}
