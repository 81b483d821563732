import Foundation
import XCTest

/// The balancing strategies through the real binary, where a test can see them: weighted
/// turns and sticky consistent hashing.
final class GatewayBalancingTests: GatewayTestCase {
    func testWeightedRoundRobinSendsRequestsInProportionToTheWeights() throws {
        let heavy = try startBackend(name: "heavy")
        let light = try startBackend(name: "light")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api:
                balance: weighted_round_robin
                targets: [{address: "\(heavy.address)", weight: 3}, "\(light.address)"]
            routes:
              - {path_prefix: /, upstream: api}

            """)
        let names = try (0..<12).map { _ in try gateway.request("/").header(named: "X-Backend") ?? "?" }
        XCTAssertEqual(names.filter { $0 == "heavy" }.count, 9, "\(names)")
        XCTAssertEqual(names.filter { $0 == "light" }.count, 3, "\(names)")
    }

    func testConsistentHashOnAHeaderKeepsEachKeyOnOneTarget() throws {
        let backends = try (1...3).map { try startBackend(name: "b\($0)") }
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api:
                balance: consistent_hash
                hash_key: "header:X-User"
                targets: [\(backends.map { "\"\($0.address)\"" }.joined(separator: ", "))]
            routes:
              - {path_prefix: /, upstream: api}

            """)
        var owners: Set<String> = []
        for user in 0..<12 {
            let served = try (0..<3).map { _ in
                try gateway.request("/", headers: [("X-User", "user-\(user)")]).header(named: "X-Backend") ?? "?"
            }
            XCTAssertEqual(Set(served).count, 1, "user-\(user) went to \(served)")
            owners.formUnion(served)
        }
        XCTAssertGreaterThan(owners.count, 1, "twelve keys should not all land on one target")
    }

    func testLeastConnectionsAvoidsTheTargetWithARequestInFlight() throws {
        let a = try startBackend(name: "a")
        let b = try startBackend(name: "b")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api:
                balance: least_connections
                targets: ["\(a.address)", "\(b.address)"]
            routes:
              - {path_prefix: /, upstream: api}

            """)
        // Hold one request on whichever target it lands on, then every other request must
        // go to the other target.
        let slow = try startBackgroundCurl(gateway.url + "/slow/2000")
        XCTAssertTrue(waitUntil(timeout: 3) { a.receivedRequests.count + b.receivedRequests.count == 1 })
        let busy = a.receivedRequests.isEmpty ? "b" : "a"
        let names = try (0..<6).map { _ in try gateway.request("/").header(named: "X-Backend") ?? "?" }
        XCTAssertFalse(names.contains(busy), "\(names) while \(busy) had a request in flight")
        XCTAssertEqual(slow.waitForExit(timeout: 5), 0)
    }

    func testTheInFlightGaugeShowsARequestHeldAtASlowTargetUntilItEnds() throws {
        let a = try startBackend(name: "a")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              api:
                balance: least_connections
                targets: ["\(a.address)"]
            routes:
              - {path_prefix: /, upstream: api}

            """)
        let series = #"pylon_upstream_target_in_flight{upstream="api",target="\#(a.address)"}"#
        try gateway.waitForMetric(series, equals: "0")
        let slow = try startBackgroundCurl(gateway.url + "/slow/1500")
        try gateway.waitForMetric(series, equals: "1")
        XCTAssertEqual(slow.waitForExit(timeout: 5), 0)
        try gateway.waitForMetric(series, equals: "0")
    }
}
