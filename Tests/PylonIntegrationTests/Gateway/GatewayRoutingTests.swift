import Foundation
import XCTest

/// Routes are tried in file order and the first whose host (if any) and path prefix match wins;
/// an upstream with two targets alternates between them; no match is a 404 that never goes upstream.
final class GatewayRoutingTests: GatewayTestCase {
    func testPathPrefixSelectsTheUpstreamAndTheFirstMatchingRouteWins() throws {
        let api = try startBackend(name: "api")
        let special = try startBackend(name: "special")
        let web = try startBackend(name: "web")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api: {targets: ["\(api.address)"]}
              special: {targets: ["\(special.address)"]}
              web: {targets: ["\(web.address)"]}
            routes:
              - {path_prefix: /api, upstream: api}
              - {path_prefix: /api/special, upstream: special}   # shadowed by /api above
              - {path_prefix: /, upstream: web}

            """)

        let expectations: [(path: String, backend: String)] = [
            ("/api", "api"),
            ("/api/users?id=1", "api"),
            ("/api/special/x", "api"),
            ("/", "web"),
            ("/ap", "web"),
            ("/API/users", "web"),  // paths are case-sensitive
            ("/web/page", "web"),
        ]
        for (path, backend) in expectations {
            let result = try gateway.request(path)
            XCTAssertEqual(result.status, 200, "\(path): \(result)")
            XCTAssertEqual(result.header(named: "X-Backend"), backend, path)
            XCTAssertEqual(result.bodyText, backend + "\n", path)
        }
        XCTAssertEqual(special.receivedRequests.count, 0, "a route after a matching one must never be used")
        XCTAssertEqual(api.receivedRequests.map(\.uri), ["/api", "/api/users?id=1", "/api/special/x"])
    }

    func testHostRouteMatchesTheHostHeaderCaseInsensitivelyIgnoringThePort() throws {
        let api = try startBackend(name: "api")
        let web = try startBackend(name: "web")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api: {targets: ["\(api.address)"]}
              web: {targets: ["\(web.address)"]}
            routes:
              - {host: api.example.com, path_prefix: /, upstream: api}
              - {path_prefix: /, upstream: web}

            """)

        let expectations: [(host: String, backend: String)] = [
            ("api.example.com", "api"),
            ("API.Example.COM", "api"),
            ("api.example.com:8080", "api"),
            ("Api.Example.Com:443", "api"),
            ("www.example.com", "web"),
            ("api.example.com.evil", "web"),
            ("example.com", "web"),
            ("127.0.0.1:\(gateway.port)", "web"),
        ]
        for (host, backend) in expectations {
            let result = try gateway.request("/x", headers: [("Host", host)])
            XCTAssertEqual(result.status, 200, "Host \(host): \(result)")
            XCTAssertEqual(result.header(named: "X-Backend"), backend, "Host: \(host)")
        }
    }

    func testHostAndPathMustBothMatchOtherwiseLaterRoutesAreTried() throws {
        let admin = try startBackend(name: "admin")
        let web = try startBackend(name: "web")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              admin: {targets: ["\(admin.address)"]}
              web: {targets: ["\(web.address)"]}
            routes:
              - {host: admin.local, path_prefix: /admin, upstream: admin}
              - {path_prefix: /, upstream: web}

            """)
        XCTAssertEqual(try gateway.request("/admin/x", headers: [("Host", "admin.local")]).header(named: "X-Backend"), "admin")
        XCTAssertEqual(try gateway.request("/other", headers: [("Host", "admin.local")]).header(named: "X-Backend"), "web")
        XCTAssertEqual(try gateway.request("/admin/x", headers: [("Host", "public.local")]).header(named: "X-Backend"), "web")
    }

    func testRoundRobinAlternatesBetweenTheTwoTargetsOfAnUpstream() throws {
        let first = try startBackend(name: "one")
        let second = try startBackend(name: "two")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              pair: {targets: ["\(first.address)", "\(second.address)"], balance: round_robin}
            routes:
              - {path_prefix: /, upstream: pair}

            """)

        var served: [String] = []
        for index in 0..<8 {
            let result = try gateway.request("/r\(index)")
            XCTAssertEqual(result.status, 200, "\(result)")
            served.append(result.header(named: "X-Backend") ?? "none")
        }
        for (previous, next) in zip(served, served.dropFirst()) {
            XCTAssertNotEqual(previous, next, "round robin must alternate: \(served)")
        }
        XCTAssertEqual(served.filter { $0 == "one" }.count, 4, "\(served)")
        XCTAssertEqual(served.filter { $0 == "two" }.count, 4, "\(served)")
        XCTAssertEqual(first.receivedRequests.count, 4)
        XCTAssertEqual(second.receivedRequests.count, 4)
    }

    func testNoMatchingRouteAnswers404WithoutContactingAnyUpstream() throws {
        let backend = try startBackend(name: "api")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /api, upstream: api}
              - {host: only.example.com, path_prefix: /, upstream: api}

            """)

        for (path, host) in [("/", "127.0.0.1"), ("/ap", "127.0.0.1"), ("/other", "else.example.com")] {
            let result = try gateway.request(path, headers: [("Host", host)])
            XCTAssertEqual(result.status, 404, "\(path) Host \(host): \(result)")
            XCTAssertNil(result.header(named: "X-Backend"))
        }
        XCTAssertEqual(try gateway.request("/api/ok").status, 200, "the route that matches still works")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/api/ok"])
    }
}
