import Foundation
import XCTest

/// Request trailers from HTTP/1.1 clients: a chunked body's trailer section reaches an
/// HTTP/1.1 upstream in the request's last chunk, less the fields a trailer must not carry
/// (RFC 9110 §6.5.1), and belongs to its own request only. The client is a raw socket
/// (curl sends no request trailers); the upstream reads the chunked framing itself.
final class ProxyRequestTrailerTests: IntegrationTestCase {
    private func startProxy(to backend: TrailerEchoBackend) throws -> RunningProxy {
        try startProxy(
            ProxyTestConfig(
                upstreams: [("main", "{targets: [\"\(backend.address)\"], connect_timeout: 1s, read_timeout: 5s}")],
                routes: ["{path_prefix: /, upstream: main}"]
            )
        )
    }

    /// The backend's report of the request `response` answers.
    private func report(_ response: RawHTTPResponse, file: StaticString = #filePath, line: UInt = #line) throws -> TrailerEchoBackend.Report {
        XCTAssertEqual(response.statusCode, 200, "\(response) \(response.bodyText)", file: file, line: line)
        return try JSONDecoder().decode(TrailerEchoBackend.Report.self, from: Data(response.body))
    }

    func testTrailersOfAChunkedRequestReachTheUpstreamAndForbiddenOnesDoNot() throws {
        let backend = try startTrailerEchoBackend()
        let proxy = try startProxy(to: backend)
        let connection = try RawConnection(port: proxy.port)

        try connection.send(
            "POST /upload HTTP/1.1\r\nHost: pylon.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\n"
                + "X-Checksum: 5eb63bbbe01eeed093cb22bb8f5acdc3\r\nContent-Length: 999\r\nHost: evil.test\r\n"
                + "Authorization: Bearer smuggled\r\nX-Forwarded-For: 10.6.6.6\r\nContent-Type: text/evil\r\n"
                + "Transfer-Encoding: gzip\r\nX-Count: 2\r\n\r\n"
        )
        let report = try self.report(try connection.readResponse())
        XCTAssertEqual(report.method, "POST")
        XCTAssertEqual(report.transferEncoding, "chunked", "a chunked request goes on chunked")
        XCTAssertNil(report.contentLength)
        XCTAssertEqual(report.body, "hello world")
        XCTAssertEqual(report.trailers, [["X-Checksum", "5eb63bbbe01eeed093cb22bb8f5acdc3"], ["X-Count", "2"]])
    }

    func testTrailersBelongToTheirOwnRequestOnTheSameConnection() throws {
        let backend = try startTrailerEchoBackend()
        let proxy = try startProxy(to: backend)
        let connection = try RawConnection(port: proxy.port)

        try connection.send("POST /1 HTTP/1.1\r\nHost: pylon.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n0\r\nX-Part: 1\r\n\r\n")
        XCTAssertEqual(try self.report(try connection.readResponse()).trailers, [["X-Part", "1"]])

        // Neither a chunked request without trailers nor a Content-Length one (which has
        // no trailer section to carry) gets the last request's.
        try connection.send("POST /2 HTTP/1.1\r\nHost: pylon.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n")
        let second = try self.report(try connection.readResponse())
        XCTAssertEqual(second.body, "two")
        XCTAssertEqual(second.trailers, [])

        try connection.send("POST /3 HTTP/1.1\r\nHost: pylon.test\r\nContent-Length: 5\r\n\r\nthree")
        let third = try self.report(try connection.readResponse())
        XCTAssertEqual(third.contentLength, "5")
        XCTAssertNil(third.transferEncoding)
        XCTAssertEqual(third.body, "three")
        XCTAssertEqual(third.trailers, [])

        // Only forbidden fields: the request ends with the plain last chunk.
        try connection.send("POST /4 HTTP/1.1\r\nHost: pylon.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfour\r\n0\r\nCookie: a=b\r\n\r\n")
        let fourth = try self.report(try connection.readResponse())
        XCTAssertEqual(fourth.body, "four")
        XCTAssertEqual(fourth.trailers, [])
    }

    func testTrailersArrivingInPiecesAfterTheBodyStreamedStillGoWithTheEnd() throws {
        // The requests above arrive whole, in one read; here the body is already on its way
        // upstream when the trailer section comes, in two pieces.
        let backend = try startTrailerEchoBackend()
        let proxy = try startProxy(to: backend)
        let connection = try RawConnection(port: proxy.port)
        try connection.send("PUT /later HTTP/1.1\r\nHost: pylon.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n")
        Thread.sleep(forTimeInterval: 0.3)
        try connection.send("0\r\nX-Check")
        Thread.sleep(forTimeInterval: 0.1)
        try connection.send("sum: abc\r\n\r\n")
        let report = try self.report(try connection.readResponse())
        XCTAssertEqual(report.method, "PUT")
        XCTAssertEqual(report.body, "ok")
        XCTAssertEqual(report.trailers, [["X-Checksum", "abc"]])
    }
}
