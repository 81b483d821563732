import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import XCTest

@testable import PylonProxy

/// `HTTP2StreamProxy` in Pylon's whole HTTP/2 pipeline on an embedded event loop, answering
/// locally: the frames a client gets for a request, and what it gets for a malformed one.
final class HTTP2StreamProxyTests: XCTestCase {
    /// Answers every request itself: `/empty` with a body-less 403, anything else with a
    /// 200 whose body says what the request head looked like to the phases. Adds
    /// connection-specific fields to every response, as a careless filter might.
    private struct LocalAnswers: ProxyHTTP {
        struct NoPeer: Error {}

        func makeContext() {}

        func requestFilter(_ session: ProxySession, _ ctx: inout Void) throws -> RequestFilterResult {
            if session.request.uri == "/empty" { return .respond(ProxyResponse(status: .forbidden)) }
            let request = session.request
            let seen = "\(request.method.rawValue) \(request.uri) host=\(request.headers["host"].joined(separator: ","))"
            return .respond(ProxyResponse(status: .ok, body: ByteBuffer(string: seen)))
        }

        func responseFilter(_ session: ProxySession, _ response: inout ResponseHead, _ ctx: inout Void) throws {
            response.headers.add(name: "Connection", value: "X-Hop")
            response.headers.add(name: "X-Hop", value: "1")
            response.headers.add(name: "Keep-Alive", value: "timeout=5")
            response.headers.add(name: "Transfer-Encoding", value: "chunked")
            response.headers.add(name: "Upgrade", value: "h2c")
            response.headers.add(name: "Proxy-Connection", value: "keep-alive")
            response.headers.add(name: "X-Kept", value: "yes")
        }

        func upstreamPeer(_ session: ProxySession, _ ctx: inout Void) throws -> HTTPPeer {
            throw NoPeer()
        }
    }

    private var pair: HTTP2ConnectionPair?

    override func tearDown() {
        self.pair?.finish()
        self.pair = nil
        super.tearDown()
    }

    private func connect() throws -> HTTP2ConnectionPair {
        let pair = try HTTP2ConnectionPair(proxy: LocalAnswers())
        self.pair = pair
        return pair
    }

    private func request(_ pair: HTTP2ConnectionPair, stream: Int, _ headers: HPACKHeaders, endStream: Bool = true) throws {
        pair.client.writeAndFlush(HTTP2Frame(streamID: HTTP2StreamID(stream), payload: .headers(.init(headers: headers, endStream: endStream))), promise: nil)
        try pair.exchange()
    }

    private func frames(_ pair: HTTP2ConnectionPair, stream: Int) -> [HTTP2Frame.FramePayload] {
        pair.clientFrames.frames.filter { $0.streamID == HTTP2StreamID(stream) }.map(\.payload)
    }

    private static func get(_ path: String, authority: String? = "a.test", extra: [(String, String)] = []) -> HPACKHeaders {
        self.head("GET", path, authority: authority, extra: extra)
    }

    /// A POST head; its body (or its end) is for the test to send.
    private static func post(_ path: String) -> HPACKHeaders {
        self.head("POST", path, authority: "a.test", extra: [])
    }

    private static func head(_ method: String, _ path: String, authority: String?, extra: [(String, String)]) -> HPACKHeaders {
        var fields = [(":method", method), (":scheme", "https"), (":path", path)]
        if let authority { fields.append((":authority", authority)) }
        return HPACKHeaders(fields + extra)
    }

    func testABodylessAnswerIsOneHEADERSFrameThatEndsTheStream() throws {
        let pair = try connect()
        try request(pair, stream: 1, Self.get("/empty"))

        let frames = frames(pair, stream: 1)
        XCTAssertEqual(frames.count, 1, "\(frames)")
        guard case .headers(let headers) = frames.first else { return XCTFail("\(frames)") }
        XCTAssertTrue(headers.endStream)
        XCTAssertEqual(headers.headers.first(name: ":status"), "403")
    }

    func testAnAnswerWithABodyEndsOnItsOnlyDATAFrame() throws {
        let pair = try connect()
        try request(pair, stream: 1, Self.get("/x?y=1"))

        let frames = frames(pair, stream: 1)
        XCTAssertEqual(frames.count, 2, "no empty DATA frame just to end the stream: \(frames)")
        guard case .headers(let headers) = frames.first, case .data(let data) = frames.last,
            case .byteBuffer(let body) = data.data
        else { return XCTFail("\(frames)") }
        XCTAssertFalse(headers.endStream)
        XCTAssertEqual(headers.headers.first(name: ":status"), "200")
        XCTAssertTrue(data.endStream)
        // The phases see :method and :path, and :authority as the host field.
        XCTAssertEqual(String(buffer: body), "GET /x?y=1 host=a.test")
    }

    func testAHostFieldTheClientSentIsKept() throws {
        let pair = try connect()
        try request(pair, stream: 1, Self.get("/", extra: [("host", "b.test")]))

        guard case .data(let data) = frames(pair, stream: 1).last, case .byteBuffer(let body) = data.data else {
            return XCTFail("\(frames(pair, stream: 1))")
        }
        XCTAssertEqual(String(buffer: body), "GET / host=b.test")
    }

    func testConnectionSpecificFieldsNeverReachTheClientAndNamesAreLowercase() throws {
        let pair = try connect()
        try request(pair, stream: 1, Self.get("/"))

        guard case .headers(let headers) = frames(pair, stream: 1).first else { return XCTFail("\(frames(pair, stream: 1))") }
        let names = headers.headers.map { $0.name }
        XCTAssertEqual(names.first, ":status")
        XCTAssertTrue(names.contains("x-kept"), "\(names)")
        for name in ["connection", "x-hop", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"] {
            XCTAssertFalse(names.contains(name), "\(name) was sent: \(names)")
        }
        XCTAssertEqual(names.filter { $0 != $0.lowercased() }, [])
    }

    func testARequestWithoutAuthorityIsResetAndTheConnectionGoesOn() throws {
        let pair = try connect()
        try request(pair, stream: 1, Self.get("/", authority: nil, extra: [("host", "a.test")]))
        try request(pair, stream: 3, Self.get("/empty"))

        guard case .rstStream(let code) = frames(pair, stream: 1).last else { return XCTFail("\(frames(pair, stream: 1))") }
        XCTAssertEqual(code, .protocolError)
        guard case .headers(let headers) = frames(pair, stream: 3).first else { return XCTFail("\(frames(pair, stream: 3))") }
        XCTAssertEqual(headers.headers.first(name: ":status"), "403")
        XCTAssertTrue(pair.goAways.isEmpty)
    }

    func testAnAnswerBeforeTheBodyEndsResetsTheRestWithNoError() throws {
        let pair = try connect()
        try request(pair, stream: 1, Self.post("/empty"), endStream: false)

        let frames = frames(pair, stream: 1)
        guard frames.count == 2, case .headers(let headers) = frames[0], case .rstStream(let code) = frames[1] else {
            return XCTFail("\(frames)")
        }
        XCTAssertTrue(headers.endStream)
        XCTAssertEqual(code, .noError)
    }

    func testAnEarlyAnswersBodyIsSentWholeBeforeTheReset() throws {
        let pair = try connect()
        try request(pair, stream: 1, Self.post("/early"), endStream: false)

        let frames = frames(pair, stream: 1)
        guard frames.count == 3, case .headers = frames[0], case .data(let data) = frames[1], case .byteBuffer(let body) = data.data,
            case .rstStream(let code) = frames[2]
        else { return XCTFail("\(frames)") }
        XCTAssertTrue(data.endStream)
        XCTAssertEqual(String(buffer: body), "POST /early host=a.test")
        XCTAssertEqual(code, .noError)
    }
}
