import Foundation
import XCTest

/// `request_headers` / `response_headers`: global rules, then the route's, each in the
/// order remove → set → add; and `forwarding.preserve_host`.
final class GatewayHeaderRulesTests: GatewayTestCase {
    /// What the backend's `/headers` endpoint says it received.
    private func backendReport(_ gateway: GatewayUnderTest, _ path: String, headers: [(String, String)] = [], file: StaticString = #filePath, line: UInt = #line) throws -> (CurlResult, BackendRequestReport) {
        let result = try gateway.request(path, headers: headers)
        XCTAssertEqual(result.status, 200, "\(result)", file: file, line: line)
        return (result, try JSONDecoder().decode(BackendRequestReport.self, from: result.body))
    }

    func testRequestSetHostAddAndRemoveReachTheBackend() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - path_prefix: /internal
                upstream: b
                request_headers:
                  set: {Host: api.internal}
              - {path_prefix: /, upstream: b}
            request_headers:
              set: {X-Gateway: pylon}
              add: {X-Tag: added}
              remove: [X-Secret-Token]

            """)

        let (_, internalRoute) = try backendReport(gateway, "/internal/headers", headers: [("X-Secret-Token", "t0ken"), ("X-Tag", "client")])
        XCTAssertEqual(internalRoute.values("host"), ["api.internal"], "a route's set Host must reach the backend")
        XCTAssertEqual(internalRoute.values("x-secret-token"), [], "removed header must not reach the backend")
        XCTAssertEqual(internalRoute.values("x-gateway"), ["pylon"])
        XCTAssertEqual(internalRoute.values("x-tag"), ["client", "added"], "add appends after what the client sent")

        let (_, other) = try backendReport(gateway, "/headers", headers: [("X-Gateway", "forged")])
        XCTAssertEqual(other.values("host"), ["127.0.0.1:\(gateway.port)"], "without a rule the client's Host is kept (preserve_host defaults to true)")
        XCTAssertEqual(other.values("x-gateway"), ["pylon"], "set replaces the client's value")
        XCTAssertEqual(other.values("x-tag"), ["added"])
    }

    func testRemoveThenSetThenAddWithinOneRuleSet() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}
            request_headers:
              add: {X-Order: added}
              set: {X-Order: set}
              remove: [x-order]

            """)
        // Written add, set, remove; applied remove, set, add whatever the file order.
        let (_, report) = try backendReport(gateway, "/headers", headers: [("X-Order", "client")])
        XCTAssertEqual(report.values("x-order"), ["set", "added"])
    }

    func testResponseServerIsSetAndAltSvcRemoved() throws {
        let backend = try startBackend(name: "b", extraHeaders: [("Server", "backend/1.0"), ("alt-svc", "h3=\":443\"; ma=86400"), ("X-Kept", "yes")])
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}
            response_headers:
              set: {Server: MyGateway}
              remove: [Alt-Svc]

            """)

        // Sanity: the backend really sends what the gateway has to change.
        let direct = try Curl.run(backend.url + "/")
        XCTAssertEqual(direct.headers(named: "alt-svc").count, 1)
        XCTAssertEqual(direct.header(named: "Server"), "backend/1.0")

        let result = try gateway.request("/")
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.headers(named: "Server"), ["MyGateway"])
        XCTAssertEqual(result.headers(named: "alt-svc"), [], "alt-svc must be removed whatever its case")
        XCTAssertEqual(result.header(named: "X-Kept"), "yes", "headers without a rule pass through")
        XCTAssertEqual(result.bodyText, "b\n")
    }

    func testRouteRulesApplyAfterGlobalRules() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - path_prefix: /special
                upstream: b
                request_headers:
                  set: {X-Layer: route}
                  add: {X-Trail: route}
                response_headers:
                  set: {X-Layer: route}
                  add: {X-Trail: route}
                  remove: [X-Global-Only]
              - {path_prefix: /, upstream: b}
            request_headers:
              set: {X-Layer: global}
              add: {X-Trail: global}
            response_headers:
              set: {X-Layer: global, X-Global-Only: "1"}
              add: {X-Trail: global}

            """)

        // Requests: the route's set overrides the global set; its add comes after the global add.
        let (special, report) = try backendReport(gateway, "/special/headers")
        XCTAssertEqual(report.values("x-layer"), ["route"])
        XCTAssertEqual(report.values("x-trail"), ["global", "route"])
        // Responses likewise, and the route can remove what the global rules set.
        XCTAssertEqual(special.headers(named: "X-Layer"), ["route"])
        XCTAssertEqual(special.headers(named: "X-Trail"), ["global", "route"])
        XCTAssertEqual(special.headers(named: "X-Global-Only"), [])

        // Another route sees only the global rules.
        let (plain, plainReport) = try backendReport(gateway, "/headers")
        XCTAssertEqual(plainReport.values("x-layer"), ["global"])
        XCTAssertEqual(plainReport.values("x-trail"), ["global"])
        XCTAssertEqual(plain.headers(named: "X-Layer"), ["global"])
        XCTAssertEqual(plain.headers(named: "X-Trail"), ["global"])
        XCTAssertEqual(plain.headers(named: "X-Global-Only"), ["1"])
    }

    func testPreserveHostFalseSendsTheTargetAddressAsHost() throws {
        let backend = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}
            forwarding: {preserve_host: false}

            """)
        let (_, report) = try backendReport(gateway, "/headers", headers: [("Host", "client.example.com")])
        XCTAssertEqual(report.values("host"), [backend.address])
    }
}
