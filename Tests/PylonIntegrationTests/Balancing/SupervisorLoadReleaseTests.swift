import Foundation
import Glibc
import XCTest

/// Least connections across worker processes, when a worker dies mid-request: the requests
/// it had in flight stop counting against their target once the worker is gone, instead of
/// steering every later request away from that target for good (release binary, see
/// `SupervisorTestCase`).
final class SupervisorLoadReleaseTests: SupervisorTestCase {
    func testRequestsInFlightOnASIGKILLedWorkerStopCountingAgainstTheirTarget() throws {
        let a = try startBackend(name: "a")
        let b = try startBackend(name: "b")
        let port = try freePort()
        let metricsPort = try freePort()
        let config = try writeConfig("""
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}
            metrics: {address: "127.0.0.1:\(metricsPort)"}
            access_log: {enabled: false}
            upstreams:
              api:
                balance: least_connections
                targets: ["\(a.address)", "\(b.address)"]
            routes:
              - {path_prefix: /, upstream: api}

            """)
        let gateway = try startSupervised(config: config, port: port, metricsPort: metricsPort, workers: 1)
        let master = gateway.process
        let worker = try XCTUnwrap(gateway.workers.first, master.logTail())

        // One request held on whichever target it lands on: from then on least connections
        // sends everything to the other.
        let slow = try startProcess(
            executable: Curl.executable,
            arguments: ["-q", "-s", "--noproxy", "*", "--max-time", "30", gateway.url + "/slow/20000"], label: "curl"
        )
        XCTAssertTrue(waitUntil(timeout: 5) { a.receivedRequests.count + b.receivedRequests.count == 1 })
        let busy = a.receivedRequests.isEmpty ? "b" : "a"
        let before = try backends(of: gateway, requests: 4)
        XCTAssertFalse(before.contains(busy), "\(before) while \(busy) had a request in flight")

        // The worker dies with the request in flight; the master starts another.
        kill(worker, SIGKILL)
        XCTAssertTrue(waitUntil(timeout: 10) {
            let now = gateway.workers
            return now.count == 1 && !now.contains(worker)
        }, "a new worker replaced \(worker)\n\(master.logTail())")
        try master.waitUntilAccepting(port: port)
        XCTAssertNotNil(slow.waitForExit(timeout: 10), "the client lost its request with the worker")

        // Within about a second the dead worker's count is released and both targets take
        // turns again.
        var after: [String] = []
        let balanced = try waitUntil(timeout: 10, pollInterval: 0.2) {
            after = try backends(of: gateway, requests: 4)
            return after.contains("a") && after.contains("b")
        }
        XCTAssertTrue(balanced, "still avoiding \(busy): \(after)\n\(master.logTail())")
        try master.waitForLog(containing: "a worker ended with requests in flight")
    }

    /// The `X-Backend` of `requests` sequential requests through the gateway.
    private func backends(of gateway: SupervisedGateway, requests: Int) throws -> [String] {
        try (0..<requests).map { _ in
            let result = try Curl.run(gateway.url + "/", maxTime: 5)
            XCTAssertEqual(result.status, 200, "\(result)")
            return result.header(named: "X-Backend") ?? "?"
        }
    }
}
