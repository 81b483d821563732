import Foundation
import Glibc
import XCTest

/// `pylon demo` end to end: the seed gateway (examples/seed-gateway.yaml) with its built-in
/// backends behaves as the Pingora tutorial's gateway does. The demo's ports are fixed, so
/// the test is skipped when any of them is taken.
final class SeedGatewayDemoTests: GatewayTestCase {
    private static let gatewayPort = 6191
    private static let metricsPort = 6192
    private static let familyPort = 9001
    private static let defaultPort = 9002

    /// Skips the test unless every fixed port of the demo is free.
    private func skipUnlessDemoPortsAreFree() throws {
        let busy = [
            (Self.gatewayPort, "0.0.0.0"), (Self.metricsPort, "127.0.0.1"),
            (Self.familyPort, "127.0.0.1"), (Self.defaultPort, "127.0.0.1"),
        ].filter { !FixedPortProbe.isFree(port: $0.0, host: $0.1) }.map(\.0)
        if !busy.isEmpty {
            throw XCTSkip("pylon demo needs ports 6191, 6192, 9001 and 9002; in use: \(busy.map(String.init).joined(separator: ", "))")
        }
    }

    func testDemoServesTheSeedGatewayAndStopsOnSIGTERM() throws {
        try skipUnlessDemoPortsAreFree()
        let demo = try startPylon(["demo"])
        try demo.waitForLog(containing: "Ctrl-C stops the demo.")
        try demo.waitUntilAccepting(port: Self.gatewayPort)
        let base = "http://127.0.0.1:\(Self.gatewayPort)"

        // The printed curl lines are on stdout.
        let banner = demo.stdoutText()
        for line in [
            "curl -i http://127.0.0.1:6191/ ",
            "curl -i http://127.0.0.1:6191/family/photos ",
            "curl -i http://127.0.0.1:6191/login ",
            "curl -i -H 'Authorization: password' http://127.0.0.1:6191/login ",
            "curl -s http://127.0.0.1:6192/metrics | grep pylon_requests_total",
        ] {
            XCTAssertTrue(banner.contains(line), "stdout lacks \(line.debugDescription):\n\(banner)")
        }

        let root = try Curl.run(base + "/")
        XCTAssertEqual(root.status, 200, "\(root)")
        XCTAssertEqual(root.header(named: "X-Backend"), "default")
        XCTAssertEqual(root.bodyText, "Hello from the default backend: GET /\n")
        XCTAssertEqual(root.headers(named: "Server"), ["MyGateway"])
        XCTAssertEqual(root.headers(named: "alt-svc"), [], "the backends send alt-svc; the gateway removes it")

        let family = try Curl.run(base + "/family/x")
        XCTAssertEqual(family.status, 200, "\(family)")
        XCTAssertEqual(family.header(named: "X-Backend"), "family")
        XCTAssertEqual(family.bodyText, "Hello from the family backend: GET /family/x\n")
        XCTAssertEqual(family.headers(named: "Server"), ["MyGateway"])
        XCTAssertEqual(family.headers(named: "alt-svc"), [])

        let refused = try Curl.run(base + "/login")
        XCTAssertEqual(refused.status, 403, "\(refused)")
        XCTAssertEqual(try Curl.run(base + "/login", headers: [("Authorization", "wrong")]).status, 403)

        let login = try Curl.run(base + "/login", headers: [("Authorization", "password")])
        XCTAssertEqual(login.status, 200, "\(login)")
        XCTAssertEqual(login.header(named: "X-Backend"), "default")
        XCTAssertEqual(login.headers(named: "Server"), ["MyGateway"])
        XCTAssertEqual(login.headers(named: "alt-svc"), [])

        // Exact counts: this demo process served exactly these requests.
        var metrics = ""
        waitUntil(timeout: 3, pollInterval: 0.05) {
            metrics = (try? Curl.run("http://127.0.0.1:\(Self.metricsPort)/metrics").bodyText) ?? ""
            return MetricsText.value(of: #"pylon_requests_total{route="/login",status="200",upstream="default"}"#, in: metrics) == "1"
        }
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/",status="200",upstream="default"}"#, in: metrics), "1", metrics)
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/family",status="200",upstream="family"}"#, in: metrics), "1", metrics)
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/login",status="403",upstream="default"}"#, in: metrics), "2", metrics)
        XCTAssertEqual(MetricsText.value(of: #"pylon_requests_total{route="/login",status="200",upstream="default"}"#, in: metrics), "1", metrics)

        let signalled = Date()
        demo.signal(SIGTERM)
        let code = demo.waitForExit(timeout: 2)
        XCTAssertNotNil(code, "pylon demo still running 2 s after SIGTERM")
        XCTAssertEqual(code, 0, demo.logTail())
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 2)
        // Its built-in backends went with it.
        XCTAssertTrue(isRefusingConnections(port: Self.defaultPort))
        XCTAssertTrue(isRefusingConnections(port: Self.familyPort))
    }

    func testDemoStopsOnCtrlCAsItsBannerSays() throws {
        try skipUnlessDemoPortsAreFree()
        let demo = try startPylon(["demo"])
        try demo.waitForLog(containing: "Ctrl-C stops the demo.")
        XCTAssertEqual(try Curl.run("http://127.0.0.1:\(Self.gatewayPort)/").status, 200)
        demo.signal(SIGINT)
        XCTAssertEqual(demo.waitForExit(timeout: 2), 0, demo.logTail())
    }
}
