import PylonGateway
import XCTest

/// `rate_limit` at the top level and on routes: what loads, the defaults, and where each
/// mistake is reported.
final class RateLimitConfigReadingTests: XCTestCase {
    private func load(_ yaml: String) throws -> GatewayConfig {
        try ConfigLoader.parse(yaml: yaml, file: "rate.yaml")
    }

    func testTheTopLevelLimitLoadsAsWritten() throws {
        let config = try load(minimalConfigYAML + "rate_limit: {key: client_ip, rate: 10/s, burst: 20}\n")
        XCTAssertEqual(config.rateLimit, RateLimitConfig(key: .clientIP, rate: RequestRate(requests: 10, per: .second), burst: 20))
        XCTAssertEqual(config.routes[0].rateLimit, .inherit)
        XCTAssertNil(try load(minimalConfigYAML).rateLimit, "no rate_limit, no limit")
        XCTAssertNil(try load(minimalConfigYAML + "rate_limit: off\n").rateLimit)
    }

    func testTheBurstDefaultsToThePerSecondRateRoundedUp() throws {
        let cases: [(rate: String, requests: Int, period: RatePeriod, burst: Int)] = [
            ("10/s", 10, .second, 10),
            ("600/m", 600, .minute, 10),
            ("601/m", 601, .minute, 11),
            ("1000/h", 1000, .hour, 1),
            ("1/h", 1, .hour, 1),
            ("1 / s", 1, .second, 1),
        ]
        for (text, requests, period, burst) in cases {
            let config = try load(minimalConfigYAML + "rate_limit: {rate: \"\(text)\"}\n")
            XCTAssertEqual(config.rateLimit?.rate, RequestRate(requests: requests, per: period), text)
            XCTAssertEqual(config.rateLimit?.burst, burst, text)
            XCTAssertEqual(config.rateLimit?.key, .clientIP, text)
        }
    }

    func testKeysAreTheClientIPAnAPIKeyOrANamedHeader() throws {
        XCTAssertEqual(try load(minimalConfigYAML + "rate_limit: {key: api_key, rate: 1/s}\n").rateLimit?.key, .apiKey)
        XCTAssertEqual(try load(minimalConfigYAML + "rate_limit: {key: \"header:X-Tenant\", rate: 1/s}\n").rateLimit?.key, .header("X-Tenant"))
        XCTAssertEqual(RateLimitKey.apiKey.headerName, "X-API-Key")
    }

    func testRoutesOverrideOrSwitchOffTheLimit() throws {
        let config = try load("""
            listeners:
              - {name: http, address: "0.0.0.0:6191"}
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            rate_limit: {rate: 10/s, burst: 20}
            routes:
              - path_prefix: /api
                upstream: default
                rate_limit: {key: api_key, rate: 100/m, burst: 5}
              - {path_prefix: /health, upstream: default, rate_limit: off}
              - {path_prefix: /, upstream: default}

            """)
        XCTAssertEqual(config.routes.map(\.rateLimit), [
            .custom(RateLimitConfig(key: .apiKey, rate: RequestRate(requests: 100, per: .minute), burst: 5)),
            .off,
            .inherit,
        ])
    }

    func testNonsenseRatesAreReportedAtTheValue() {
        let cases: [(rate: String, message: String)] = [
            ("0/s", "a rate of zero would refuse every request"),
            ("-5/s", "a rate must not be negative"),
            ("abc/s", "\"abc/s\" is not a rate"),
            ("10/fortnight", "has an unknown rate unit \"fortnight\"; use one of s, m, h"),
            ("10", "\"10\" needs a unit"),
            ("1.5/s", "not a whole number of requests"),
            ("2000000/s", "too fast"),
            ("/s", "is not a rate"),
        ]
        for (rate, message) in cases {
            let found = configProblems(in: minimalConfigYAML + "rate_limit:\n  rate: \"\(rate)\"\n")
            XCTAssertEqual(found.count, 1, "\(rate): \(found)")
            assertConfigProblem(found, at: 11, 9, contains: message)
            XCTAssertTrue(found.first?.message.hasPrefix("rate_limit.rate: ") ?? false, "\(found)")
        }
    }

    func testBadBurstsKeysAndShapesAreReported() {
        var found = configProblems(in: minimalConfigYAML + "rate_limit: {rate: 10/s, burst: 0}\n")
        assertConfigProblem(found, at: 10, 33, contains: "rate_limit.burst: 0 is out of range; expected a whole number from 1 to 1000000")
        found = configProblems(in: minimalConfigYAML + "rate_limit: {rate: 10/s, burst: lots}\n")
        assertConfigProblem(found, at: 10, 33, contains: "expected a whole number from 1 to 1000000, found \"lots\"")
        found = configProblems(in: minimalConfigYAML + "rate_limit: {rate: 10/s, key: cookie}\n")
        assertConfigProblem(found, at: 10, 31, contains: "\"cookie\" is not a rate-limit key; use client_ip, api_key or header:NAME")
        found = configProblems(in: minimalConfigYAML + "rate_limit: {rate: 10/s, key: \"header:X Tenant\"}\n")
        assertConfigProblem(found, at: 10, 31, contains: "\"X Tenant\" is not a valid header name")
        found = configProblems(in: minimalConfigYAML + "rate_limit: {burst: 10}\n")
        assertConfigProblem(found, at: 10, 13, contains: "rate_limit: missing required key \"rate\"")
        found = configProblems(in: minimalConfigYAML + "rate_limit: {rate: 10/s, bursts: 10}\n")
        assertConfigProblem(found, at: 10, 26, contains: "unknown key \"bursts\" (did you mean \"burst\"?)")
        found = configProblems(in: minimalConfigYAML + "rate_limit: 10/s\n")
        assertConfigProblem(found, at: 10, 13, contains: "expected off or a mapping with rate")
    }

    func testABadRouteLimitIsReportedWithTheRoutesPath() {
        let found = configProblems(in: """
            listeners:
              - {name: http, address: "0.0.0.0:6191"}
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - {path_prefix: /a, upstream: default, rate_limit: on}
              - {path_prefix: /, upstream: default, rate_limit: {rate: 10/fortnight}}

            """)
        XCTAssertEqual(found.count, 2, "\(found)")
        assertConfigProblem(found, at: 6, 54, contains: "routes[0].rate_limit: expected off or a mapping")
        assertConfigProblem(found, at: 7, 60, contains: "routes[1].rate_limit.rate: \"10/fortnight\" has an unknown rate unit")
    }
}
