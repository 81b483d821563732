import NIOCore
import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// `RateLimiter` and `RouteRateLimits`: which requests share a bucket, and what the
/// `RateLimit-Policy`, `RateLimit` and `Retry-After` fields say.
final class RateLimiterTests: XCTestCase {
    private let now: UInt64 = 7_000_000_000

    private func limiter(
        _ name: String = "default", key: RateLimitKey = .clientIP, rate: RequestRate = RequestRate(requests: 10, per: .second),
        burst: Int? = 20, segment: SharedMemorySegment? = nil
    ) throws -> RateLimiter {
        let segment = try segment ?? SharedMemorySegment.anonymous()
        return RateLimiter(
            policyName: name, config: RateLimitConfig(key: key, rate: rate, burst: burst),
            table: RateLimitTable(segment: segment), hashKey: segment.hashKey
        )
    }

    private func allowedCount(_ limiter: RateLimiter, _ attempts: Int, headers: HeaderFields = [:], ip: String? = "192.0.2.1") -> Int {
        (0..<attempts).filter { _ in limiter.check(headers: headers, clientIP: ip, now: now).allowed }.count
    }

    func testThePolicyFieldGivesTheBurstAndTheSecondsToRefillIt() throws {
        XCTAssertEqual(try limiter().policyField, #""default";q=20;w=2"#)
        XCTAssertEqual(try limiter(rate: RequestRate(requests: 600, per: .minute), burst: nil).policyField, #""default";q=10;w=1"#)
        XCTAssertEqual(
            try limiter(rate: RequestRate(requests: 1000, per: .hour), burst: nil).policyField, #""default";q=1;w=4"#,
            "3.6 s rounds up to whole seconds"
        )
        XCTAssertEqual(try limiter("example.com/api").policyField, #""example.com/api";q=20;w=2"#)
    }

    func testAllowedAndRefusedResponsesCarryTheFields() throws {
        let limiter = try self.limiter()
        let first = limiter.check(headers: [:], clientIP: "192.0.2.1", now: now)
        var headers: HeaderFields = [:]
        limiter.addFields(for: first, to: &headers)
        XCTAssertEqual(headers["RateLimit-Policy"], [#""default";q=20;w=2"#])
        XCTAssertEqual(headers["RateLimit"], [#""default";r=19;t=1"#])

        XCTAssertEqual(allowedCount(limiter, 30), 19)
        let refused = limiter.check(headers: [:], clientIP: "192.0.2.1", now: now + 40_000)
        XCTAssertFalse(refused.allowed)
        let response = limiter.refusal(for: refused)
        XCTAssertEqual(response.status, .tooManyRequests)
        XCTAssertEqual(response.headers["Retry-After"], ["1"])
        XCTAssertEqual(String(buffer: response.body), "429 Too Many Requests: retry in 1 s\n")
        var refusedHeaders: HeaderFields = [:]
        limiter.addFields(for: refused, to: &refusedHeaders)
        XCTAssertEqual(refusedHeaders["RateLimit"], [#""default";r=0;t=1"#], "t is the Retry-After on a refusal")
    }

    func testClientIPKeysGiveEachAddressItsOwnBucket() throws {
        let limiter = try self.limiter()
        XCTAssertEqual(allowedCount(limiter, 25, ip: "192.0.2.1"), 20)
        XCTAssertEqual(allowedCount(limiter, 25, ip: "192.0.2.2"), 20)
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["X-API-Key": "k1"], ip: "192.0.2.1"), 0, "headers do not matter for client_ip")
    }

    func testAPIKeysGiveEachKeyItsOwnBucketAndFallBackToTheClientIP() throws {
        let limiter = try self.limiter(key: .apiKey)
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["x-api-key": "k1"]), 20, "the header name is case-insensitive")
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["X-API-Key": "k1"], ip: "198.51.100.9"), 0, "one key, any address")
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["X-API-Key": "k2"]), 20)
        // Without a key (or with an empty one) the client's address is the key.
        XCTAssertEqual(allowedCount(limiter, 15), 15)
        XCTAssertEqual(allowedCount(limiter, 10, headers: ["X-API-Key": ""]), 5)
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["X-API-Key": "192.0.2.1"]), 20, "a key spelt like an address is still a key")
    }

    func testAnAPIKeyLimitReadsTheHeaderTheRoutesAPIKeyAuthNames() throws {
        let limiter = try self.limiter(key: .apiKey)
        let attempts = (0..<25).filter { _ in
            limiter.check(headers: ["X-Client-Key": "k1"], clientIP: "192.0.2.1", apiKeyHeader: "X-Client-Key", now: now).allowed
        }
        XCTAssertEqual(attempts.count, 20)
        XCTAssertEqual(
            allowedCount(limiter, 25, headers: ["X-Client-Key": "k1"]), 20,
            "on a route whose auth uses X-API-Key, X-Client-Key is no key: the client's address is"
        )
    }

    func testAHeaderKeyCountsByThatHeader() throws {
        let limiter = try self.limiter(key: .header("X-Tenant"))
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["X-Tenant": "a"]), 20)
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["x-tenant": "b"]), 20)
        XCTAssertEqual(allowedCount(limiter, 25, headers: ["X-Tenant": "a"], ip: "203.0.113.5"), 0)
    }

    func testLimitersWithDifferentNamesHaveSeparateBucketsInOneTable() throws {
        let segment = try SharedMemorySegment.anonymous()
        let general = try limiter("default", segment: segment)
        let api = try limiter("/api", segment: segment)
        let generalAgain = try limiter("default", segment: segment)
        XCTAssertEqual(allowedCount(general, 25), 20)
        XCTAssertEqual(allowedCount(api, 25), 20)
        XCTAssertEqual(allowedCount(generalAgain, 5), 0, "the same name over the same segment is the same buckets (a new generation)")
    }

    func testRoutesInheritTheTopLevelLimitUnlessTheyHaveTheirOwnOrNone() throws {
        let routes = [
            RouteConfig(pathPrefix: "/a", upstream: "u"),
            RouteConfig(pathPrefix: "/off", upstream: "u", rateLimit: .off),
            RouteConfig(pathPrefix: "/own", upstream: "u", rateLimit: .custom(RateLimitConfig(rate: RequestRate(requests: 1, per: .second)))),
            RouteConfig(pathPrefix: "/", upstream: "u"),
        ]
        let config = GatewayConfig(
            listeners: [], upstreams: [], routes: routes,
            rateLimit: RateLimitConfig(rate: RequestRate(requests: 10, per: .second), burst: 20)
        )
        let limits = RouteRateLimits(config: config, routeNames: routes.map(\.pathPrefix), sharedMemory: try SharedMemorySegment.anonymous())
        XCTAssertEqual(limits.limiter(ofRoute: 0), 0)
        XCTAssertNil(limits.limiter(ofRoute: 1))
        XCTAssertEqual(limits.limiter(ofRoute: 2), 1)
        XCTAssertEqual(limits.limiter(ofRoute: 3), 0, "routes without their own limit share the top-level buckets")
        XCTAssertEqual(limits.limiters.map(\.policyName), ["default", "/own"])
        XCTAssertEqual(limits.limiters[1].policyField, #""/own";q=1;w=1"#)

        var unlimited = config
        unlimited.rateLimit = nil
        let none = RouteRateLimits(config: unlimited, routeNames: routes.map(\.pathPrefix), sharedMemory: try SharedMemorySegment.anonymous())
        XCTAssertEqual([0, 1, 2, 3].map { none.limiter(ofRoute: $0) }, [nil, nil, 0, nil])
    }

    func testPolicyNamesAreQuotedAsStructuredFieldStrings() {
        XCTAssertEqual(RateLimiter.structuredString("/api"), #""/api""#)
        XCTAssertEqual(RateLimiter.structuredString(#"/a"b\c"#), #""/a\"b\\c""#)
        XCTAssertEqual(RateLimiter.structuredString("/é\t"), #""/??""#)
    }
}
