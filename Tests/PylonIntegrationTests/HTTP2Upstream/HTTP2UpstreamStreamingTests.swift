import Foundation
import XCTest

/// Upstreams set to `protocol: http2`: HTTP/1.1 and HTTP/2 clients reach them over h2c and
/// over TLS, bodies of several MiB stream both ways under each stream's flow control, and
/// many requests share a connection, as many at once as the upstream's SETTINGS allow.
final class HTTP2UpstreamStreamingTests: HTTP2UpstreamTestCase {
    private static let bodySize = 4 << 20

    func testHTTP1ClientToH2cUpstreamStreamsMiBBodiesBothWays() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        let upload = try makeRandomFile(size: Self.bodySize)

        // /echo streams the body back while it is still arriving: both directions at once.
        let echo = try h1Request(gateway, "/echo", method: "POST", body: .file(upload.path))
        XCTAssertEqual(echo.status, 200, "\(echo)")
        XCTAssertTrue(echo.statusLine.hasPrefix("HTTP/1.1 200"), "\(echo)")
        XCTAssertEqual(echo.body.count, Self.bodySize, "\(echo)")
        XCTAssertTrue(echo.body == upload.data, "the echoed body differs from what was sent")

        let download = try h1Request(gateway, "/bytes/\(Self.bodySize)")
        XCTAssertEqual(download.status, 200, "\(download)")
        XCTAssertEqual(download.body.count, Self.bodySize)
        XCTAssertNil(BackendBodyPattern.firstMismatch(in: download.body), "the body was reordered or corrupted")

        let sink = try h1Request(gateway, "/sink", method: "POST", body: .file(upload.path))
        XCTAssertEqual(sink.bodyText, String(Self.bodySize), "\(sink)")

        // The upstream was spoken to over HTTP/2, with the client's authority and the
        // forwarding fields of any proxied request.
        let report = try JSONDecoder().decode(BackendRequestReport.self, from: try h1Request(gateway, "/headers").body)
        XCTAssertEqual(report.version, "HTTP/2.0")
        XCTAssertEqual(report.values("host"), ["127.0.0.1:\(gateway.otherPorts["http"]!)"])
        XCTAssertEqual(report.values("x-forwarded-for"), ["127.0.0.1"])
        XCTAssertEqual(report.values("via"), ["1.1 pylon"])
        XCTAssertTrue(backend.receivedRequests.allSatisfy { $0.version.major == 2 })
    }

    func testHTTP2ClientToTLSH2UpstreamStreamsMiBBodiesBothWays() throws {
        let backend = try startHTTP2Backend(tls: true)
        let gateway = try startGateway(to: backend.address, upstreamTLS: true)
        let upload = try makeRandomFile(size: Self.bodySize)

        let echo = try h2Request(gateway, "/echo", method: "POST", body: .file(upload.path))
        XCTAssertTrue(echo.statusLine.hasPrefix("HTTP/2 200"), "\(echo)")
        XCTAssertEqual(echo.body.count, Self.bodySize, "\(echo)")
        XCTAssertTrue(echo.body == upload.data, "the echoed body differs from what was sent")

        let download = try h2Request(gateway, "/bytes/\(Self.bodySize)")
        XCTAssertTrue(download.statusLine.hasPrefix("HTTP/2 200"), "\(download)")
        XCTAssertEqual(download.body.count, Self.bodySize)
        XCTAssertNil(BackendBodyPattern.firstMismatch(in: download.body), "the body was reordered or corrupted")

        let report = try JSONDecoder().decode(BackendRequestReport.self, from: try h2Request(gateway, "/headers").body)
        XCTAssertEqual(report.version, "HTTP/2.0")
        XCTAssertEqual(report.values("x-forwarded-proto"), ["https"])
        XCTAssertEqual(report.values("via"), ["2 pylon"])
        // The response says how it came: over HTTP/2 from the upstream.
        XCTAssertEqual(download.header(named: "via"), "2 pylon")
    }

    func testASlowClientHoldsTheUpstreamBackWithoutBuffering() throws {
        // 32 MiB read at 8 MiB/s: the stream's window, not Pylon's memory, takes up the slack.
        let size = 32 << 20
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)
        XCTAssertEqual(try h1Request(gateway, "/bytes/300000", discardBody: true).status, 200)
        Thread.sleep(forTimeInterval: 0.2)
        let baseline = try XCTUnwrap(RSSSampler.residentKiB(of: gateway.process.pid))
        let sampler = RSSSampler(pid: gateway.process.pid)
        let download = try Curl.run(
            "http://127.0.0.1:\(gateway.otherPorts["http"]!)/bytes/\(size)", maxTime: 30, discardBody: true,
            extraArguments: ["--limit-rate", "8M"]
        )
        let peak = sampler.stop()
        XCTAssertEqual(download.status, 200, "\(download)")
        XCTAssertEqual(download.downloadedBytes, size)
        XCTAssertLessThan(peak.peakKiB - baseline, 8 * 1024, "the response was buffered instead of held back upstream")
    }

    func testManyConcurrentRequestsShareOneUpstreamConnection() throws {
        let backend = try startHTTP2Backend()
        let gateway = try startGateway(to: backend.address)

        // HTTP/2 clients: one connection, 20 streams at a time.
        let h2 = try runH2Load(["-n", "200", "-c", "1", "-m", "20", "https://127.0.0.1:\(gateway.port)/slow/20"])
        XCTAssertEqual(h2.succeeded, 200, "\(h2)")
        XCTAssertEqual(h2.statusClasses["2xx"], 200, "\(h2)")
        XCTAssertEqual(backend.acceptedConnections, 1, "one client connection, one event loop: one upstream connection")
        XCTAssertGreaterThan(backend.streams.mostConcurrentStreams, 1, "the streams were not concurrent")

        // HTTP/1.1 clients: 16 connections at once, spread over the event loops; each loop
        // has one upstream connection that carries all of its clients' requests.
        let h1 = try runH2Load(["--h1", "-n", "320", "-c", "16", "http://127.0.0.1:\(gateway.otherPorts["http"]!)/slow/20"])
        XCTAssertEqual(h1.succeeded, 320, "\(h1)")
        XCTAssertEqual(h1.statusClasses["2xx"], 320, "\(h1)")
        XCTAssertEqual(backend.receivedRequests.count, 520)
        XCTAssertLessThanOrEqual(backend.acceptedConnections, 1 + ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertLessThan(backend.acceptedConnections, 16, "HTTP/1.1 would have needed a connection per client")
    }

    func testTheUpstreamsConcurrentStreamLimitOpensMoreConnections() throws {
        let backend = try startHTTP2Backend(options: .init(maxConcurrentStreams: 4))
        let gateway = try startGateway(to: backend.address)
        // 16 streams at a time on one client connection, 4 at a time allowed upstream.
        let load = try runH2Load(["-n", "64", "-c", "1", "-m", "16", "https://127.0.0.1:\(gateway.port)/slow/100"])
        XCTAssertEqual(load.succeeded, 64, "\(load)")
        XCTAssertEqual(load.statusClasses["2xx"], 64, "\(load)")
        XCTAssertLessThanOrEqual(backend.streams.mostConcurrentStreams, 4)
        XCTAssertGreaterThanOrEqual(backend.acceptedConnections, 2, "full connections must not queue what another connection can take")
        XCTAssertEqual(backend.receivedRequests.count, 64, "no stream was refused and sent again")
    }
}
