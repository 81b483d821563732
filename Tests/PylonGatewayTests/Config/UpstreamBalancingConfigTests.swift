import PylonGateway
import XCTest

/// The upstream keys for balancing and health: `balance`, `hash_key`, weighted targets,
/// `health_check` and `passive`.
final class UpstreamBalancingConfigTests: XCTestCase {
    // MARK: Valid

    func testDefaultsAreRoundRobinWithoutChecks() throws {
        let upstream = try loadSingleUpstream("targets: [\"127.0.0.1:9001\", \"127.0.0.1:9002\"]")
        XCTAssertEqual(upstream.balance, .roundRobin)
        XCTAssertEqual(upstream.weights, [1, 1])
        XCTAssertNil(upstream.hashKey)
        XCTAssertNil(upstream.healthCheck)
        XCTAssertNil(upstream.passive)
    }

    func testWeightedTargetsMixWithPlainOnes() throws {
        let upstream = try loadSingleUpstream("""
            targets: ["127.0.0.1:9001", {address: "backend.local:80", weight: 3}]
            balance: weighted_round_robin
            """)
        XCTAssertEqual(upstream.targets, [HostAndPort(host: "127.0.0.1", port: 9001), HostAndPort(host: "backend.local", port: 80)])
        XCTAssertEqual(upstream.weights, [1, 3])
        XCTAssertEqual(upstream.balance, .weightedRoundRobin)
    }

    func testEveryStrategyLoads() throws {
        for strategy in BalanceStrategy.allCases {
            let hashKey = strategy == .consistentHash ? "\nhash_key: client_ip" : ""
            let upstream = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nbalance: \(strategy.rawValue)" + hashKey)
            XCTAssertEqual(upstream.balance, strategy)
        }
    }

    func testHashKeys() throws {
        for (text, key) in [("client_ip", BalanceHashKey.clientIP), ("path", .path), ("\"header:X-User\"", .header("X-User"))] {
            let upstream = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nbalance: consistent_hash\nhash_key: \(text)")
            XCTAssertEqual(upstream.hashKey, key)
        }
    }

    func testTCPCheckWithDefaults() throws {
        let upstream = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nhealth_check: {tcp: {}}")
        XCTAssertEqual(upstream.healthCheck, HealthCheckConfig(probe: .tcp, interval: .seconds(1), timeout: .seconds(1), rise: 2, fall: 3))
        let bare = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nhealth_check: {tcp: }")
        XCTAssertEqual(bare.healthCheck, HealthCheckConfig(probe: .tcp))
    }

    func testHTTPCheckWithEveryKey() throws {
        let upstream = try loadSingleUpstream("""
            targets: ["127.0.0.1:9001"]
            health_check:
              http: {path: "/healthz?deep=1", expect_status: 204, host: api.internal, interval: 250ms, timeout: 100ms, rise: 1, fall: 5}
            passive: {failures: 4, cooldown: 30s}
            """)
        XCTAssertEqual(
            upstream.healthCheck,
            HealthCheckConfig(
                probe: .http(path: "/healthz?deep=1", expectStatus: 204, host: "api.internal"),
                interval: .milliseconds(250), timeout: .milliseconds(100), rise: 1, fall: 5
            )
        )
        XCTAssertEqual(upstream.passive, PassiveHealthConfig(failures: 4, cooldown: .seconds(30)))
    }

    func testHTTPCheckDefaultsToStatus200() throws {
        let upstream = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\nhealth_check: {http: {path: /healthz}}")
        XCTAssertEqual(upstream.healthCheck?.probe, .http(path: "/healthz", expectStatus: 200, host: nil))
    }

    func testPassiveDefaults() throws {
        let upstream = try loadSingleUpstream("targets: [\"127.0.0.1:9001\"]\npassive: {}")
        XCTAssertEqual(upstream.passive, PassiveHealthConfig(failures: 3, cooldown: .seconds(10)))
    }

    // MARK: Errors, each at its place

    func testConsistentHashWithoutAHashKeyIsReportedAtTheUpstream() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nbalance: consistent_hash"))
        assertConfigProblem(found, at: 4, 5, contains: "upstreams.api: missing required key \"hash_key\"")
    }

    func testHashKeyWithAnotherStrategyIsReportedAtTheKey() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nbalance: least_connections\nhash_key: path"))
        assertConfigProblem(found, at: 6, 15, contains: "hash_key only applies to balance: consistent_hash")
    }

    func testBadHashKeyIsReportedAtTheValue() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nbalance: consistent_hash\nhash_key: cookie"))
        assertConfigProblem(found, at: 6, 15, contains: "\"cookie\" is not a hash key")
        let badHeader = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nbalance: consistent_hash\nhash_key: \"header:\""))
        assertConfigProblem(badHeader, at: 6, 15, contains: "is not a valid header name")
    }

    func testWeightOutOfRangeIsReportedAtTheWeight() {
        let found = configProblems(in: singleUpstreamConfig("targets: [{address: \"127.0.0.1:9001\", weight: 0}]\nbalance: weighted_round_robin"))
        assertConfigProblem(found, at: 4, 51, contains: "targets[0].weight: 0 is out of range; expected a whole number from 1 to 1000")
    }

    func testWeightWithRoundRobinIsReportedAtTheWeight() {
        let found = configProblems(in: singleUpstreamConfig("targets: [{address: \"127.0.0.1:9001\", weight: 2}]"))
        assertConfigProblem(found, at: 4, 51, contains: "round_robin ignores weights")
    }

    func testTargetMappingNeedsAnAddressAndNoOtherKeys() {
        let found = configProblems(in: singleUpstreamConfig("targets: [{weight: 2, port: 80}]\nbalance: weighted_round_robin"))
        assertConfigProblem(found, at: 4, 15, contains: "targets[0]: missing required key \"address\"")
        assertConfigProblem(found, at: 4, 27, contains: "targets[0]: unknown key \"port\"")
    }

    func testHealthCheckNeedsExactlyOneKind() {
        let neither = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nhealth_check: {}"))
        assertConfigProblem(neither, at: 5, 19, contains: "expected a tcp or an http check")
        let both = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nhealth_check: {tcp: {}, http: {path: /}}"))
        assertConfigProblem(both, at: 5, 19, contains: "tcp and http exclude each other")
    }

    func testHealthCheckValuesAreCheckedEachAtItsPlace() {
        let found = configProblems(in: singleUpstreamConfig("""
            targets: ["127.0.0.1:9001"]
            health_check:
              http: {path: healthz, expect_status: 700, interval: 1ms, rise: 0, fall: many, timeout: soon, retries: 2}
            """))
        XCTAssertEqual(found.count, 7, found.map(\.description).joined(separator: "\n"))
        assertConfigProblem(found, at: 6, 20, contains: "health_check.http.path: path \"healthz\" must start with \"/\"")
        assertConfigProblem(found, at: 6, 44, contains: "health_check.http.expect_status: 700 is out of range")
        assertConfigProblem(found, at: 6, 59, contains: "interval below 10ms")
        assertConfigProblem(found, at: 6, 70, contains: "health_check.http.rise: 0 is out of range")
        assertConfigProblem(found, at: 6, 79, contains: "health_check.http.fall: expected a whole number")
        assertConfigProblem(found, at: 6, 94, contains: "health_check.http.timeout: \"soon\"")
        assertConfigProblem(found, at: 6, 100, contains: "unknown key \"retries\"")
    }

    func testHTTPCheckRequiresAPath() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\nhealth_check: {http: {expect_status: 200}}"))
        assertConfigProblem(found, at: 5, 26, contains: "health_check.http: missing required key \"path\"")
    }

    func testPassiveValuesAreChecked() {
        let found = configProblems(in: singleUpstreamConfig("targets: [\"127.0.0.1:9001\"]\npassive: {failures: 0, cooldown: 0s}"))
        assertConfigProblem(found, at: 5, 25, contains: "passive.failures: 0 is out of range")
        assertConfigProblem(found, at: 5, 38, contains: "passive.cooldown: a duration of zero is not allowed")
    }
}
