import Foundation
import XCTest

/// What goes wrong with HTTP/2 upstreams: a GOAWAY under load loses no request, a lost
/// connection fails its streams with 502 (or closes the client's connection once the
/// response started), and a TLS upstream that does not agree to `h2` is refused with 502
/// and a log line.
final class HTTP2UpstreamFailureTests: HTTP2UpstreamTestCase {
    func testAnUpstreamGoAwayUnderLoadFailsNoRequest() throws {
        // Every upstream connection says GOAWAY after 25 streams: streams up to it finish,
        // streams beyond it are refused and go again on a new connection.
        let backend = try startHTTP2Backend(options: .init(goAwayAfterStreams: 25))
        let gateway = try startGateway(to: backend.address)

        let h2 = try runH2Load(["-n", "400", "-c", "2", "-m", "10", "https://127.0.0.1:\(gateway.port)/bytes/2000"])
        XCTAssertEqual(h2.succeeded, 400, "\(h2)")
        XCTAssertEqual(h2.statusClasses["2xx"], 400, "\(h2)")
        XCTAssertEqual(h2.failed + h2.errored + h2.timedOut, 0, "\(h2)")

        let h1 = try runH2Load(["--h1", "-n", "300", "-c", "8", "http://127.0.0.1:\(gateway.otherPorts["http"]!)/bytes/2000"])
        XCTAssertEqual(h1.succeeded, 300, "\(h1)")
        XCTAssertEqual(h1.statusClasses["2xx"], 300, "\(h1)")

        XCTAssertGreaterThanOrEqual(backend.streams.goAwaysSent, 10, "the upstream did not go away under load")
        XCTAssertGreaterThanOrEqual(backend.acceptedConnections, 10)
        XCTAssertFalse(gateway.process.stdoutText().contains("status=5"), "a request failed:\n\(gateway.process.logTail())")
    }

    func testAnUpstreamThatDiesBeforeAnsweringGets502() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)

        let h1 = try h1Request(gateway, "/die")
        XCTAssertEqual(h1.status, 502, "\(h1)")
        let h2 = try h2Request(gateway, "/die")
        XCTAssertTrue(h2.statusLine.hasPrefix("HTTP/2 502"), "\(h2)")
        try gateway.process.waitForDiagnostic(containing: "upstream failed")

        // The next request gets a new connection.
        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)
        XCTAssertTrue(try h2Request(gateway, "/hello").statusLine.hasPrefix("HTTP/2 200"))
    }

    func testAnUpstreamThatDiesMidResponseClosesTheClientsConnectionOrStream() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)

        // HTTP/1.1: the response announced 1 MB; the connection closes short of it (curl 18).
        let h1 = try h1Request(gateway, "/die-mid-body", discardBody: true)
        XCTAssertEqual(h1.status, 200, "\(h1)")
        XCTAssertEqual(h1.exitCode, 18, "\(h1)")
        XCTAssertLessThan(h1.downloadedBytes, 1_000_000)

        // HTTP/2: the stream is reset; curl reports the transfer as failed.
        let h2 = try h2Request(gateway, "/die-mid-body", discardBody: true)
        XCTAssertTrue(h2.statusLine.hasPrefix("HTTP/2 200"), "\(h2)")
        XCTAssertNotEqual(h2.exitCode, 0, "\(h2)")
        XCTAssertLessThan(h2.downloadedBytes, 1_000_000)

        XCTAssertEqual(try h1Request(gateway, "/hello").status, 200)
    }

    func testATLSUpstreamThatDoesNotChooseH2IsRefusedWith502AndALogLine() throws {
        // The backend speaks only HTTP/1.1 and says so in ALPN.
        let backend = try startBackend(name: "h1-only", tls: try backendTLS(alpn: ["http/1.1"]))
        let gateway = try startGateway(to: backend.address, upstreamTLS: true)

        let h1 = try h1Request(gateway, "/hello")
        XCTAssertEqual(h1.status, 502, "\(h1)")
        let h2 = try h2Request(gateway, "/hello")
        XCTAssertTrue(h2.statusLine.hasPrefix("HTTP/2 502"), "\(h2)")
        try gateway.process.waitForLog(containing: "did not agree to HTTP/2", timeout: 3)
        XCTAssertTrue(backend.receivedRequests.isEmpty, "nothing may be sent in HTTP/1.1 to an upstream set to HTTP/2")
    }
}
