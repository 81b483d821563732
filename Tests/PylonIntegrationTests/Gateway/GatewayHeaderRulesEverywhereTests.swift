import Foundation
import XCTest

/// The seed's header rules end to end — Host rewritten for one route, `X-Powered-By`
/// stripped, `Server: Gateway` and `X-Proxy` set — on proxied responses and on the
/// gateway's own answers (404, 403, 502) alike; and rules with several values.
final class GatewayHeaderRulesEverywhereTests: GatewayTestCase {
    func testSeedRulesApplyToProxiedResponsesAndTheGatewaysOwnAnswers() throws {
        let backend = try startBackend(name: "b", extraHeaders: [("X-Powered-By", "PHP/8"), ("Server", "backend/1.0")])
        let deadPort = try freePort()
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
              dead: {targets: ["127.0.0.1:\(deadPort)"], retries: 0, connect_timeout: 1s}
            routes:
              - path_prefix: /one
                upstream: b
                request_headers: {set: {Host: one.one.one.one}}
              - {path_prefix: /dead, upstream: dead}
              - path_prefix: /login
                upstream: b
                auth: {header: Authorization, equals_secret: password}
              - {path_prefix: /app, upstream: b}
            response_headers:
              set: {Server: Gateway, X-Proxy: pylon}
              remove: [x-powered-by]

            """)

        let proxied = try gateway.request("/one/headers")
        XCTAssertEqual(proxied.status, 200, "\(proxied)")
        let report = try JSONDecoder().decode(BackendRequestReport.self, from: proxied.body)
        XCTAssertEqual(report.values("host"), ["one.one.one.one"], "the route's Host rewrite reaches the backend")
        for (label, result) in [
            ("proxied", proxied),
            ("404", try gateway.request("/nowhere")),
            ("403", try gateway.request("/login")),
            ("502", try gateway.request("/dead")),
        ] {
            XCTAssertEqual(result.headers(named: "Server"), ["Gateway"], "\(label): \(result.headers)")
            XCTAssertEqual(result.headers(named: "X-Proxy"), ["pylon"], "\(label): \(result.headers)")
            XCTAssertEqual(result.headers(named: "X-Powered-By"), [], "\(label): \(result.headers)")
        }
    }

    func testRulesWithSeveralValuesSendOneFieldEach() throws {
        let backend = try startBackend(name: "b", extraHeaders: [("Vary", "Cookie")])
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}
            request_headers:
              add: {X-Tag: [one, two]}
            response_headers:
              set: {Vary: [Accept, Origin]}

            """)
        let result = try gateway.request("/headers", headers: [("X-Tag", "client")])
        XCTAssertEqual(result.status, 200, "\(result)")
        let report = try JSONDecoder().decode(BackendRequestReport.self, from: result.body)
        XCTAssertEqual(report.values("x-tag"), ["client", "one", "two"])
        XCTAssertEqual(result.headers(named: "Vary"), ["Accept", "Origin"], "the backend's Vary replaced by both values")
    }
}
