import Foundation
import XCTest

/// `rate_limit` in one process: 429 with `Retry-After` and the draft's `RateLimit-Policy`
/// and `RateLimit` fields once a client's bucket is empty, checked before auth, per route.
final class GatewayRateLimitTests: GatewayTestCase {
    private func startLimitedGateway() throws -> (GatewayUnderTest, TestBackend) {
        let backend = try startBackend()
        let gateway = try startGatewayUnderTest("""
            upstreams:
              default: {targets: ["\(backend.address)"]}
            rate_limit: {rate: 1/m, burst: 3}
            routes:
              - path_prefix: /login
                auth: {header: Authorization, equals_secret: letmein}
                upstream: default
              - {path_prefix: /own, upstream: default, rate_limit: {key: api_key, rate: 2/s, burst: 2}}
              - {path_prefix: /free, upstream: default, rate_limit: off}
              - {path_prefix: /, upstream: default}

            """)
        return (gateway, backend)
    }

    func testAClientOverItsLimitGets429WithRetryAfterAndRateLimitFields() throws {
        let (gateway, backend) = try startLimitedGateway()
        for remaining in [2, 1, 0] {
            let result = try gateway.request("/")
            XCTAssertEqual(result.status, 200, "\(result)")
            XCTAssertEqual(result.header(named: "RateLimit-Policy"), #""default";q=3;w=180"#)
            let field = try XCTUnwrap(result.header(named: "RateLimit"))
            XCTAssertTrue(field.hasPrefix(#""default";r=\#(remaining);t="#), field)
        }
        let refused = try gateway.request("/")
        XCTAssertEqual(refused.status, 429, "\(refused)")
        let retryAfter = try XCTUnwrap(refused.header(named: "Retry-After").flatMap { Int($0) }, "\(refused.headers)")
        XCTAssertTrue((55...60).contains(retryAfter), "one request per minute: the next in about a minute, got \(retryAfter)")
        XCTAssertEqual(refused.header(named: "RateLimit-Policy"), #""default";q=3;w=180"#)
        XCTAssertEqual(refused.header(named: "RateLimit"), #""default";r=0;t=\#(retryAfter)"#)
        XCTAssertEqual(refused.bodyText, "429 Too Many Requests: retry in \(retryAfter) s\n")
        XCTAssertEqual(backend.receivedRequests.count, 3, "a refused request never reaches the upstream")
    }

    func testTheLimitIsCheckedBeforeAuth() throws {
        let (gateway, backend) = try startLimitedGateway()
        // Wrong credentials are refused by auth while the bucket lasts, then by the limit:
        // a client guessing passwords spends its budget on each guess.
        let statuses = try (0..<5).map { _ in try gateway.request("/login", headers: [("Authorization", "guess")]).status }
        XCTAssertEqual(statuses, [403, 403, 403, 429, 429])
        XCTAssertEqual(try gateway.request("/login", headers: [("Authorization", "letmein")]).status, 429, "even the right password waits")
        XCTAssertEqual(backend.receivedRequests.count, 0)
    }

    func testRoutesWithTheirOwnLimitOrNoneAreCountedApart() throws {
        let (gateway, _) = try startLimitedGateway()
        for _ in 0..<3 { XCTAssertEqual(try gateway.request("/").status, 200) }
        XCTAssertEqual(try gateway.request("/anything").status, 429, "routes without a limit of their own share the top-level buckets")

        let free = try (0..<10).map { _ in try gateway.request("/free") }
        XCTAssertEqual(Set(free.map(\.status)), [200])
        XCTAssertNil(free[0].header(named: "RateLimit"), "an unlimited route says nothing about limits")
        XCTAssertNil(free[0].header(named: "RateLimit-Policy"))

        let own = try (0..<3).map { _ in try gateway.request("/own", headers: [("X-API-Key", "client-a")]) }
        XCTAssertEqual(own.map(\.status), [200, 200, 429])
        XCTAssertEqual(own[0].header(named: "RateLimit-Policy"), #""/own";q=2;w=1"#)
        XCTAssertEqual(own[2].header(named: "Retry-After"), "1")
        XCTAssertEqual(try gateway.request("/own", headers: [("X-API-Key", "client-b")]).status, 200, "another API key, another bucket")
    }
}
