import Logging
import NIOCore
import NIOPosix
import PylonProxy
import XCTest

@testable import PylonGateway

/// Several checkers on one segment stand for several workers: only the lease holder probes.
final class HealthCheckerTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var segment: SharedMemorySegment!
    private var checkers: [HealthChecker] = []

    override func setUpWithError() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        segment = try SharedMemorySegment.anonymous()
    }

    override func tearDown() {
        let checkers = self.checkers
        let done = expectation(description: "stopped")
        Task {
            for checker in checkers { await checker.stop() }
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        try? group.syncShutdownGracefully()
    }

    private func upstream(port: Int, check: HealthCheckConfig) throws -> UpstreamGroup {
        UpstreamGroup(
            name: "u", peers: [try HTTPPeer(address: SocketAddress(ipAddress: "127.0.0.1", port: port))], retries: 0,
            table: TargetHealthTable(segment: segment), healthCheck: check
        )
    }

    private func startChecker(port: Int, generation: Int, pid: Int32, check: HealthCheckConfig) throws -> (HealthChecker, UpstreamGroup) {
        let upstream = try upstream(port: port, check: check)
        let checker = try XCTUnwrap(
            HealthChecker(
                upstreams: [upstream], table: TargetHealthTable(segment: segment), generation: generation, pid: pid,
                group: group, logger: Logger(label: "test")
            )
        )
        checkers.append(checker)
        checker.start()
        return (checker, upstream)
    }

    private let fastTCP = HealthCheckConfig(probe: .tcp, interval: .milliseconds(50), timeout: .milliseconds(200), rise: 1, fall: 1)

    func testNoCheckerWithoutHealthChecks() throws {
        let plain = UpstreamGroup(
            name: "u", peers: [try HTTPPeer(address: SocketAddress(ipAddress: "127.0.0.1", port: 1))], retries: 0,
            table: TargetHealthTable(segment: segment)
        )
        XCTAssertNil(HealthChecker(upstreams: [plain], table: TargetHealthTable(segment: segment), generation: 0, group: group, logger: Logger(label: "test")))
    }

    func testFourCheckersOnOneSegmentProbeLikeOne() throws {
        let server = try ProbeTargetServer(group: group)
        defer { server.close() }
        for pid in 1...4 { _ = try startChecker(port: server.port, generation: 1, pid: Int32(pid), check: fastTCP) }
        Thread.sleep(forTimeInterval: 1.0)
        // One checker at 50 ms probes ~20 times a second; four would probe ~80.
        let count = server.acceptedConnections
        XCTAssertGreaterThan(count, 5)
        XCTAssertLessThan(count, 35, "probes from more than one checker")
    }

    func testAStoppedHolderHandsTheChecksToAnotherWorker() throws {
        let server = try ProbeTargetServer(group: group)
        defer { server.close() }
        let (first, _) = try startChecker(port: server.port, generation: 1, pid: 1, check: fastTCP)
        XCTAssertTrue(waitUntil { self.segmentLease.currentHolder?.pid == 1 })
        _ = try startChecker(port: server.port, generation: 1, pid: 2, check: fastTCP)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(segmentLease.currentHolder?.pid, 1, "a live holder of the same generation keeps the lease")
        try stop(first)
        XCTAssertTrue(waitUntil { self.segmentLease.currentHolder?.pid == 2 })
        let before = server.acceptedConnections
        XCTAssertTrue(waitUntil { server.acceptedConnections > before + 2 }, "the new holder probes")
    }

    func testANewerGenerationTakesTheChecksOver() throws {
        let server = try ProbeTargetServer(group: group)
        defer { server.close() }
        _ = try startChecker(port: server.port, generation: 1, pid: 1, check: fastTCP)
        XCTAssertTrue(waitUntil { self.segmentLease.currentHolder?.pid == 1 })
        _ = try startChecker(port: server.port, generation: 2, pid: 2, check: fastTCP)
        XCTAssertTrue(waitUntil { self.segmentLease.currentHolder == HealthCheckLease.Holder(generation: 2, pid: 2) })
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(segmentLease.currentHolder?.pid, 2, "the older generation does not take it back")
    }

    func testTheHolderMarksADeadTargetDownAndBringsItBack() throws {
        let server = try ProbeTargetServer(group: group)
        let port = server.port
        let check = HealthCheckConfig(probe: .tcp, interval: .milliseconds(50), timeout: .milliseconds(200), rise: 2, fall: 2)
        let (_, upstream) = try startChecker(port: port, generation: 0, pid: 1, check: check)
        XCTAssertTrue(waitUntil { self.segmentLease.currentHolder != nil })
        XCTAssertTrue(upstream.hasServableTarget())
        server.close()
        XCTAssertTrue(waitUntil { !upstream.hasServableTarget() }, "down after two failed probes")
        let restarted = try ProbeTargetServer(group: group, port: port)
        defer { restarted.close() }
        XCTAssertTrue(waitUntil { upstream.hasServableTarget() }, "up after two good probes")
    }

    private var segmentLease: HealthCheckLease { TargetHealthTable(segment: segment).lease }

    private func stop(_ checker: HealthChecker) throws {
        let done = expectation(description: "stopped")
        Task {
            await checker.stop()
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
    }

    private func waitUntil(timeout: Double = 3, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}
