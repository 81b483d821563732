import Foundation
import XCTest

/// Trailers through HTTP/2 upstreams: both ways between HTTP/2 clients and upstreams, to
/// HTTP/1.1 clients in the last chunk only when they sent `TE: trailers`, from them in a
/// trailing HEADERS frame, and gRPC-shaped unary and server-streaming calls that end with
/// `grpc-status` in trailers.
final class HTTP2UpstreamTrailerTests: HTTP2UpstreamTestCase {
    func testRequestAndResponseTrailersPassBetweenHTTP2ClientAndUpstream() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        let upload = try makeRandomFile(size: 100_000)

        let run = try runNghttp([
            "-v", "--no-verify-peer", "-d", upload.path, "--trailer", "x-client-checksum: 1234",
            "--trailer", "authorization: Bearer smuggled", "https://127.0.0.1:\(gateway.port)/trailers",
        ])
        XCTAssertEqual(run.exitCode, 0, run.output)
        // The upstream got the request trailer (not the one a trailer must not be), and the
        // client the upstream's trailers: after the body, in a HEADERS frame that ends the stream.
        XCTAssertEqual(backend.streams.requestTrailers, [["x-client-checksum": "1234"]])
        XCTAssertTrue(run.output.contains("received 100000 bytes"), run.output)
        let body = try XCTUnwrap(run.output.range(of: "received 100000 bytes"))
        let tail = run.output[body.upperBound...]
        XCTAssertTrue(tail.contains("x-backend-trailer: done"), run.output)
        XCTAssertTrue(tail.contains("x-received-bytes: 100000"), run.output)
        XCTAssertTrue(tail.contains("x-echo-x-client-checksum: 1234"), run.output)
    }

    func testHTTP1ClientsGetTrailersInTheLastChunkOnlyWithTETrailers() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        let port = gateway.otherPorts["http"]!

        let asked = try RawHTTPClient.exchange(
            port: port, send: "GET /trailers HTTP/1.1\r\nHost: a.test\r\nTE: trailers\r\nConnection: close\r\n\r\n"
        )
        XCTAssertTrue(asked.text.hasPrefix("HTTP/1.1 200"), asked.text)
        XCTAssertTrue(asked.text.lowercased().contains("transfer-encoding: chunked\r\n"), asked.text)
        XCTAssertTrue(
            asked.text.hasSuffix("\r\n0\r\nx-backend-trailer: done\r\nx-received-bytes: 0\r\n\r\n"),
            "trailers belong in the last chunk:\n\(asked.text)"
        )
        // Only `TE: trailers` goes upstream (HTTP/2 allows no other TE).
        XCTAssertEqual(backend.receivedRequests.last?.headers["te"], ["trailers"])

        let notAsked = try RawHTTPClient.exchange(port: port, send: "GET /trailers HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(notAsked.text.hasPrefix("HTTP/1.1 200"), notAsked.text)
        XCTAssertTrue(notAsked.text.hasSuffix("received 0 bytes\n\r\n0\r\n\r\n"), "no trailers without TE: trailers:\n\(notAsked.text)")
        XCTAssertEqual(backend.receivedRequests.last?.headers["te"], [])
    }

    func testHTTP1ClientsRequestTrailersReachTheUpstreamInATrailingHEADERSFrame() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        let response = try RawHTTPClient.exchange(
            port: gateway.otherPorts["http"]!,
            send: "POST /trailers HTTP/1.1\r\nHost: a.test\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\nContent-Length: 5\r\n"
                + "Authorization: Bearer smuggled\r\n\r\n"
        )
        let reply = try XCTUnwrap(response.responses.first, response.text)
        XCTAssertEqual(reply.statusCode, 200, response.text)
        XCTAssertEqual(reply.bodyText, "received 5 bytes\n")
        // The upstream got them as trailers (not in the head), less the forbidden ones, and
        // echoed them back in its own, which reach this client in the last chunk.
        XCTAssertEqual(backend.streams.requestTrailers, [["x-checksum": "abc"]])
        XCTAssertEqual(backend.receivedRequests.last?.headers["x-checksum"], [])
        XCTAssertTrue(reply.trailers.contains { $0.name == "x-echo-x-checksum" && $0.value == "abc" }, response.text)
        XCTAssertFalse(reply.trailers.contains { $0.name.hasPrefix("x-echo-content-length") }, response.text)
    }

    func testGRPCUnaryCallReturnsItsStatusInTrailers() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        let call = try h2Request(
            gateway, "/test.Echo/Unary", method: "POST",
            headers: [("content-type", "application/grpc"), ("te", "trailers")], body: .data(Self.grpcMessage("hello"))
        )
        XCTAssertEqual(call.exitCode, 0, "\(call)")
        XCTAssertTrue(call.statusLine.hasPrefix("HTTP/2 200"), "\(call)")
        XCTAssertEqual(call.header(named: "content-type"), "application/grpc")
        XCTAssertEqual(call.body, Self.grpcMessage("echo: hello"))
        // curl dumps trailers after the header fields.
        XCTAssertEqual(call.headers(named: "grpc-status"), ["0"], "\(call.headers)")
        XCTAssertEqual(call.headers(named: "grpc-message"), ["OK"])
        XCTAssertEqual(backend.receivedRequests.last?.headers["te"], ["trailers"])
    }

    func testAGRPCTrailersOnlyResponseKeepsItsShape() throws {
        // An error status without a message comes as one HEADERS frame with END_STREAM; an
        // empty DATA frame after the head would make gRPC clients read grpc-status as a
        // header and report a stream ended without trailers.
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        let requestFile = "\(try makeTempDirectory())/request.bin"
        try Self.grpcMessage("hello").write(to: URL(fileURLWithPath: requestFile))
        let run = try runNghttp([
            "-v", "--no-verify-peer", "-d", requestFile, "-H", "content-type: application/grpc", "-H", "te: trailers",
            "https://127.0.0.1:\(gateway.port)/test.Echo/Unimplemented",
        ])
        XCTAssertEqual(run.exitCode, 0, run.output)
        XCTAssertTrue(run.output.contains("grpc-status: 12"), run.output)
        XCTAssertTrue(run.output.contains("grpc-message: no such method"), run.output)
        let responseHeaders = try XCTUnwrap(run.output.range(of: "recv HEADERS frame"), run.output)
        XCTAssertTrue(run.output[responseHeaders.upperBound...].contains("; END_STREAM | END_HEADERS"), run.output)
        XCTAssertFalse(run.output.contains("recv DATA frame"), "the response must be one HEADERS frame:\n\(run.output)")
    }

    func testGRPCServerStreamingCallStreamsItsMessagesThenTrailers() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        let requestFile = "\(try makeTempDirectory())/request.bin"
        try Self.grpcMessage("start").write(to: URL(fileURLWithPath: requestFile))

        let run = try runNghttp([
            "-v", "--no-verify-peer", "-d", requestFile,
            "-H", "content-type: application/grpc", "-H", "te: trailers",
            "https://127.0.0.1:\(gateway.port)/test.Echo/Stream",
        ])
        XCTAssertEqual(run.exitCode, 0, run.output)
        var expected = Data()
        for index in 0..<5 { expected.append(Self.grpcMessage("message \(index)")) }
        // The five messages arrive in their own DATA frames, then the trailers end the stream.
        XCTAssertGreaterThanOrEqual(run.output.components(separatedBy: "recv DATA frame").count - 1, 5, run.output)
        let lastMessage = try XCTUnwrap(run.output.range(of: "message 4"), run.output)
        let tail = run.output[lastMessage.upperBound...]
        XCTAssertTrue(tail.contains("grpc-status: 0"), run.output)
        XCTAssertTrue(tail.contains("grpc-message: OK"), run.output)
        XCTAssertTrue(run.output.contains(":status: 200"), run.output)

        // The same call through curl, body compared byte for byte.
        let call = try h2Request(
            gateway, "/test.Echo/Stream", method: "POST",
            headers: [("content-type", "application/grpc"), ("te", "trailers")], body: .data(Self.grpcMessage("start"))
        )
        XCTAssertEqual(call.body, expected)
        XCTAssertEqual(call.headers(named: "grpc-status"), ["0"], "\(call.headers)")
    }
}
