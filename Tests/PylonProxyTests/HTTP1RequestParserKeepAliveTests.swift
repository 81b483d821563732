import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `HTTP1RequestParser.headKeepsAlive`: whether the client keeps its connection after the
/// request (RFC 9112 §9.3), read from the version and every `Connection` field line.
final class HTTP1RequestParserKeepAliveTests: XCTestCase {
    /// Whether the one request in `head` keeps the connection, as the parser says it.
    private func keepsAlive(_ head: String) throws -> Bool {
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: head)
        guard case .head? = try parser.next(&buffer) else {
            XCTFail("no head in \(head.debugDescription)")
            return false
        }
        return parser.headKeepsAlive
    }

    func testHTTP11KeepsTheConnectionUnlessConnectionSaysClose() throws {
        XCTAssertTrue(try keepsAlive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertTrue(try keepsAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"))
        XCTAssertFalse(try keepsAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
        XCTAssertFalse(try keepsAlive("GET / HTTP/1.1\r\nHost: a\r\nconnection: CLOSE\r\n\r\n"))
        XCTAssertFalse(try keepsAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade ,close\r\n\r\n"))
        XCTAssertFalse(try keepsAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: TE\r\nConnection: close\r\n\r\n"))
        XCTAssertTrue(try keepsAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, x-close\r\n\r\n"), "only the whole token")
    }

    func testHTTP10ClosesTheConnectionUnlessConnectionSaysKeepAlive() throws {
        XCTAssertFalse(try keepsAlive("GET / HTTP/1.0\r\n\r\n"))
        XCTAssertTrue(try keepsAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))
        XCTAssertFalse(try keepsAlive("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"))
    }

    func testEachPipelinedRequestIsJudgedOnItsOwnFields() throws {
        var parser = HTTP1RequestParser()
        var buffer = ByteBuffer(string: "GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        var judged: [String: Bool] = [:]
        while let event = try parser.next(&buffer) {
            if case .head(let head, _) = event { judged[head.uri] = parser.headKeepsAlive }
        }
        XCTAssertEqual(judged, ["/1": false, "/2": true])
    }

    /// The parser reads the same as NIO's `isKeepAlive`, which the proxy used before.
    func testTheParserAgreesWithNIOsKeepAliveRule() throws {
        for version in ["HTTP/1.0", "HTTP/1.1"] {
            for connection in [nil, "close", "keep-alive", "Keep-Alive, close", "upgrade", "x-foo, keep-alive"] {
                let field = connection.map { "Connection: \($0)\r\n" } ?? ""
                let text = "GET / \(version)\r\nHost: a\r\n\(field)\r\n"
                let (head, _) = try parseHead(text)
                let nioHead = HTTPRequestHead(
                    version: head.version, method: head.method, uri: head.uri, headers: HTTPHeaders(head.headers)
                )
                XCTAssertEqual(try keepsAlive(text), nioHead.isKeepAlive, text.debugDescription)
            }
        }
    }
}
