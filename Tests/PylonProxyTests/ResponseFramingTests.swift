import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `ResponseFraming.decide` (RFC 9112 §6.3) and the framing fields `ResponseHeadWriter`
/// writes for it.
final class ResponseFramingTests: XCTestCase {
    private func decide(
        _ status: HTTPResponseStatus, _ method: HTTPMethod = .GET, _ version: HTTPVersion = .http1_1, length: Int?
    ) -> ResponseFraming {
        ResponseFraming.decide(status: status, requestMethod: method, clientVersion: version, contentLength: length)
    }

    // MARK: decide

    func testResponseToHEADHasNoBodyWhateverItsLength() {
        for version in [HTTPVersion.http1_1, .http1_0] {
            XCTAssertEqual(self.decide(.ok, .HEAD, version, length: 1234), .none)
            XCTAssertEqual(self.decide(.ok, .HEAD, version, length: nil), .none)
            XCTAssertEqual(self.decide(.notFound, .HEAD, version, length: 10), .none)
        }
    }

    func testInformationalResponsesHaveNoBody() {
        for code in [100, 101, 102, 103, 199] {
            XCTAssertEqual(self.decide(HTTPResponseStatus(statusCode: code), length: nil), .none, "\(code)")
            XCTAssertEqual(self.decide(HTTPResponseStatus(statusCode: code), length: 5), .none, "\(code)")
        }
    }

    func testNoContentAndNotModifiedHaveNoBody() {
        for version in [HTTPVersion.http1_1, .http1_0] {
            XCTAssertEqual(self.decide(.noContent, .GET, version, length: nil), .none)
            XCTAssertEqual(self.decide(.noContent, .POST, version, length: 0), .none)
            XCTAssertEqual(self.decide(.notModified, .GET, version, length: 512), .none)
            XCTAssertEqual(self.decide(.notModified, .GET, version, length: nil), .none)
        }
    }

    func testKnownLengthIsKeptForHTTP11AndHTTP10Clients() {
        XCTAssertEqual(self.decide(.ok, .GET, .http1_1, length: 42), .contentLength(42))
        XCTAssertEqual(self.decide(.ok, .GET, .http1_0, length: 42), .contentLength(42))
        XCTAssertEqual(self.decide(.notFound, .POST, .http1_1, length: 0), .contentLength(0))
        XCTAssertEqual(self.decide(.resetContent, .GET, .http1_1, length: 3), .contentLength(3))
    }

    func testUnknownLengthIsChunkedForHTTP11Clients() {
        XCTAssertEqual(self.decide(.ok, .GET, .http1_1, length: nil), .chunked)
        XCTAssertEqual(self.decide(.internalServerError, .POST, .http1_1, length: nil), .chunked)
    }

    func testUnknownLengthIsCloseDelimitedForHTTP10Clients() {
        XCTAssertEqual(self.decide(.ok, .GET, .http1_0, length: nil), .closeDelimited)
        XCTAssertEqual(self.decide(.badGateway, .POST, .http1_0, length: nil), .closeDelimited)
    }

    // MARK: Framing fields as written

    /// The field lines written for a head with `pairs` under `framing`.
    private func apply(
        _ framing: ResponseFraming, status: HTTPResponseStatus = .ok, connection: ResponseHeadWriter.ConnectionField? = nil,
        _ pairs: [(String, String)]
    ) -> [String] {
        var buffer = ByteBuffer()
        let head = ResponseHead(version: .http1_1, status: status, headers: HeaderFields(pairs))
        ResponseHeadWriter.write(head, version: .http1_1, framing: framing, connection: connection, into: &buffer)
        let lines = String(buffer: buffer).components(separatedBy: "\r\n")
        XCTAssertEqual(lines.suffix(2), ["", ""], "the head ends with one empty line")
        return Array(lines.dropFirst().dropLast(2))
    }

    func testNoneFramingForHEADKeepsContentLengthAndDropsTransferEncoding() {
        let headers = self.apply(.none, status: .ok, [("Content-Length", "100"), ("Transfer-Encoding", "chunked"), ("X-A", "1")])
        XCTAssertEqual(headers, ["Content-Length: 100", "X-A: 1"])
    }

    func testNoneFramingForNotModifiedKeepsContentLength() {
        XCTAssertEqual(self.apply(.none, status: .notModified, [("Content-Length", "7"), ("ETag", "\"x\"")]), ["Content-Length: 7", "ETag: \"x\""])
    }

    func testNoneFramingForNoContentDropsBothLengthFields() {
        XCTAssertEqual(self.apply(.none, status: .noContent, [("content-length", "0"), ("transfer-encoding", "chunked"), ("X-A", "1")]), ["X-A: 1"])
    }

    func testNoneFramingForInformationalDropsBothLengthFields() {
        XCTAssertEqual(self.apply(.none, status: .continue, [("Content-Length", "3")]), [])
        XCTAssertEqual(self.apply(.none, status: .switchingProtocols, [("Content-Length", "3"), ("Upgrade", "x")]), ["Upgrade: x"])
    }

    func testContentLengthFramingSetsExactlyOneContentLength() {
        let headers = self.apply(.contentLength(5), [("content-length", "7"), ("Content-Length", "9"), ("Transfer-Encoding", "chunked"), ("X-A", "1")])
        XCTAssertEqual(headers.filter { $0.lowercased().hasPrefix("content-length") }, ["Content-Length: 5"])
        XCTAssertFalse(headers.contains { $0.lowercased().hasPrefix("transfer-encoding") })
        XCTAssertTrue(headers.contains("X-A: 1"))
    }

    func testContentLengthFramingAddsTheFieldWhenMissing() {
        XCTAssertEqual(self.apply(.contentLength(0), [("X-A", "1")]), ["X-A: 1", "Content-Length: 0"])
    }

    func testChunkedFramingReplacesContentLengthWithTransferEncodingChunked() {
        let headers = self.apply(.chunked, [("Content-Length", "10"), ("X-A", "1")])
        XCTAssertEqual(headers, ["X-A: 1", "Transfer-Encoding: chunked"])
    }

    func testChunkedFramingLeavesASingleChunkedCoding() {
        let headers = self.apply(.chunked, [("transfer-encoding", "gzip, chunked"), ("Transfer-Encoding", "chunked")])
        XCTAssertEqual(headers, ["Transfer-Encoding: chunked"])
    }

    func testCloseDelimitedFramingDropsBothLengthFields() {
        XCTAssertEqual(self.apply(.closeDelimited, [("Content-Length", "10"), ("Transfer-Encoding", "chunked"), ("X-A", "1")]), ["X-A: 1"])
    }

    func testContentLengthIsWrittenInDecimal() {
        XCTAssertEqual(self.apply(.contentLength(1_073_741_824), []), ["Content-Length: 1073741824"])
        XCTAssertEqual(self.apply(.contentLength(9), []), ["Content-Length: 9"])
    }

    func testConnectionCloseReplacesTheHeadsConnectionField() {
        let headers = self.apply(.contentLength(1), connection: .close, [("connection", "keep-alive"), ("X-A", "1")])
        XCTAssertEqual(headers, ["X-A: 1", "Content-Length: 1", "Connection: close"])
    }

    func testKeepAliveForHTTP10ClientsIsWrittenOnce() {
        let headers = self.apply(.contentLength(1), connection: .keepAlive, [("Connection", "keep-alive")])
        XCTAssertEqual(headers, ["Content-Length: 1", "Connection: keep-alive"])
    }

    func testAConnectionFieldIsKeptWhenPylonSetsNone() {
        XCTAssertEqual(self.apply(.contentLength(1), [("Connection", "x-a")]), ["Connection: x-a", "Content-Length: 1"])
    }
}

/// `ResponseHeadWriter.write` and `chunkPrefix`: the exact bytes on the wire.
final class ResponseHeadWriterTests: XCTestCase {
    private func written(_ head: ResponseHead) -> String {
        var buffer = ByteBuffer()
        ResponseHeadWriter.write(head, into: &buffer)
        return String(buffer: buffer)
    }

    func testSampleHeadIsWrittenByteForByte() {
        let head = ResponseHead(
            version: .http1_1, status: .ok,
            headers: ["Content-Type": "text/plain; charset=utf-8", "Content-Length": "5", "Set-Cookie": "a=1", "set-cookie": "b=2"]
        )
        XCTAssertEqual(
            self.written(head),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n"
        )
    }

    func testHTTP10HeadKeepsItsVersion() {
        let head = ResponseHead(version: .http1_0, status: .notFound, headers: ["Content-Length": "0"])
        XCTAssertEqual(self.written(head), "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    }

    func testHeadWithoutHeadersEndsWithOneEmptyLine() {
        XCTAssertEqual(self.written(ResponseHead(version: .http1_1, status: .noContent)), "HTTP/1.1 204 No Content\r\n\r\n")
    }

    func testALargeHeadIsWrittenWholeAfterWhatTheBufferHeld() {
        var fields = HeaderFields()
        for i in 0..<60 { fields.add(name: "X-Field-\(i)", value: String(repeating: "v", count: i * 7)) }
        let head = ResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: 299, reasonPhrase: "Fine Indeed"), headers: fields)
        var buffer = ByteBuffer(string: "before")
        ResponseHeadWriter.write(head, version: head.version, framing: .contentLength(123_456_789), connection: .close, into: &buffer)
        var expected = "beforeHTTP/1.1 299 Fine Indeed\r\n"
        for i in 0..<60 { expected += "X-Field-\(i): \(String(repeating: "v", count: i * 7))\r\n" }
        expected += "Content-Length: 123456789\r\nConnection: close\r\n\r\n"
        XCTAssertEqual(String(buffer: buffer), expected)
    }

    func testStatusCodesAreWrittenAsThreeDigits() {
        XCTAssertEqual(self.written(ResponseHead(version: .http1_1, status: .continue)), "HTTP/1.1 100 Continue\r\n\r\n")
        XCTAssertEqual(
            self.written(ResponseHead(version: .http1_1, status: .gatewayTimeout)),
            "HTTP/1.1 504 Gateway Timeout\r\n\r\n"
        )
        XCTAssertEqual(
            self.written(ResponseHead(version: .http1_1, status: .custom(code: 299, reasonPhrase: "Odd"))),
            "HTTP/1.1 299 Odd\r\n\r\n"
        )
    }

    func testEmptyReasonPhraseKeepsTheSpaceAfterTheCode() {
        XCTAssertEqual(
            self.written(ResponseHead(version: .http1_1, status: .custom(code: 599, reasonPhrase: ""))),
            "HTTP/1.1 599 \r\n\r\n"
        )
    }

    func testWriteAppendsAfterExistingBytes() {
        var buffer = ByteBuffer(string: "prefix|")
        ResponseHeadWriter.write(ResponseHead(version: .http1_1, status: .ok), into: &buffer)
        XCTAssertEqual(String(buffer: buffer), "prefix|HTTP/1.1 200 OK\r\n\r\n")
    }

    func testChunkPrefixIsLowercaseHexSizeAndCRLF() {
        let allocator = ByteBufferAllocator()
        XCTAssertEqual(String(buffer: ResponseHeadWriter.chunkPrefix(length: 0, allocator: allocator)), "0\r\n")
        XCTAssertEqual(String(buffer: ResponseHeadWriter.chunkPrefix(length: 255, allocator: allocator)), "ff\r\n")
        XCTAssertEqual(String(buffer: ResponseHeadWriter.chunkPrefix(length: 4096, allocator: allocator)), "1000\r\n")
    }

    func testWrittenHeadIsReadBackByNIOsDecoder() throws {
        // A round trip through an independent parser: the bytes are a valid response head.
        let head = ResponseHead(
            version: .http1_1, status: .created, headers: ["Location": "/x", "X-Multi": "a", "x-multi": "b", "Content-Length": "2"]
        )
        var buffer = ByteBuffer()
        ResponseHeadWriter.write(head, into: &buffer)
        buffer.writeString("ok")

        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        try channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")))
        try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        try channel.writeInbound(buffer)

        guard case .head(let decoded) = try channel.readInbound(as: HTTPClientResponsePart.self) else {
            return XCTFail("no head")
        }
        XCTAssertEqual(decoded.status, .created)
        XCTAssertEqual(decoded.version, .http1_1)
        XCTAssertEqual(decoded.headers.map { "\($0.name): \($0.value)" }, ["Location: /x", "X-Multi: a", "x-multi: b", "Content-Length: 2"])
        XCTAssertEqual(try channel.readInbound(as: HTTPClientResponsePart.self), .body(ByteBuffer(string: "ok")))
        XCTAssertEqual(try channel.readInbound(as: HTTPClientResponsePart.self), .end(nil))
    }
}
