import Foundation
import Glibc
import XCTest

/// One checker for the whole service: the health-check traffic a target sees is one
/// checker's whether the master runs one worker or four (release binary, see
/// `SupervisorTestCase`).
final class SupervisorHealthCheckTests: SupervisorTestCase {
    private let interval = 0.1
    private let window = 3.0

    func testHealthCheckTrafficIsOneCheckersWithOneAndWithFourWorkers() throws {
        let expected = window / interval
        let one = try countHealthChecks(workers: 1)
        XCTAssertGreaterThan(Double(one), expected * 0.5, "one worker: \(one) probes in \(window) s at \(interval) s")
        XCTAssertLessThan(Double(one), expected * 1.5 + 2, "one worker: \(one) probes in \(window) s at \(interval) s")

        let four = try countHealthChecks(workers: 4)
        XCTAssertGreaterThan(Double(four), expected * 0.5, "four workers: \(four) probes in \(window) s (one worker: \(one))")
        // Four checkers would send ~4×; one checker's count, within timer jitter.
        XCTAssertLessThan(Double(four), expected * 1.5 + 2, "four workers: \(four) probes in \(window) s (one worker: \(one))")
        XCTAssertLessThan(Double(four), Double(one) * 1.5 + 2, "four workers: \(four) probes, one worker: \(one)")
    }

    func testAfterAnUpgradeTheNewGenerationRunsTheChecksAndTrafficStaysOneCheckers() throws {
        let (gateway, backend) = try startChecked(workers: 2)
        try gateway.process.waitForLog(containing: "running the health checks for the service")

        let result = try gateway.reload()
        XCTAssertEqual(result.code, 0, result.output)
        XCTAssertTrue(gateway.waitForGeneration(2))
        // A generation-2 worker takes the lease over from generation 1 at once.
        XCTAssertTrue(waitUntil(timeout: 5) {
            gateway.process.stderrText().split(separator: "\n").contains { line in
                let parts = line.components(separatedBy: "previous=")
                return line.contains("running the health checks for the service") && parts.count == 2
                    && parts[0].contains("holder=pid ") && parts[0].contains(", generation 2")
                    && parts[1].hasPrefix("pid ") && parts[1].contains(", generation 1")
            }
        }, gateway.process.logTail(lines: 60))
        XCTAssertTrue(waitUntil(timeout: 10) { gateway.workers.count == 2 }, "the old generation drained")
        Thread.sleep(forTimeInterval: 0.5)
        let before = backend.healthChecks
        Thread.sleep(forTimeInterval: window)
        let count = backend.healthChecks - before
        XCTAssertGreaterThan(Double(count), window / interval * 0.5, "\(count) probes in \(window) s after the upgrade")
        XCTAssertLessThan(Double(count), window / interval * 1.5 + 2, "\(count) probes in \(window) s after the upgrade")
    }

    /// Starts a master with `workers` workers in front of a fresh backend checked every
    /// `interval`, and returns how many probes the backend received during `window`.
    private func countHealthChecks(workers: Int) throws -> Int {
        let (gateway, backend) = try startChecked(workers: workers)
        defer { _ = gateway.process.terminate() }
        // Let every worker start its checker and settle who holds the lease.
        Thread.sleep(forTimeInterval: 0.5)
        let before = backend.healthChecks
        Thread.sleep(forTimeInterval: window)
        let count = backend.healthChecks - before
        return count
    }

    /// A master with `workers` workers and one upstream whose single target is an HTTP-checked backend.
    private func startChecked(workers: Int) throws -> (SupervisedGateway, HealthCheckedBackend) {
        let backend = try startHealthCheckedBackend(name: "checked-\(workers)")
        let port = try freePort()
        let metricsPort = try freePort()
        let config = try writeConfig("""
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}
            metrics: {address: "127.0.0.1:\(metricsPort)"}
            access_log: {enabled: false}
            upstreams:
              api:
                targets: ["\(backend.address)"]
                health_check: {http: {path: /healthz, interval: \(Int(interval * 1000))ms, timeout: 1s}}
            routes:
              - {path_prefix: /, upstream: api}

            """)
        let gateway = try startSupervised(
            config: config, port: port, metricsPort: metricsPort, workers: workers,
            controlSocket: "\(try testDirectory())/control-\(workers).sock", label: "pylon-\(workers)"
        )
        XCTAssertEqual(gateway.workers.count, workers, gateway.process.logTail())
        return (gateway, backend)
    }
}
