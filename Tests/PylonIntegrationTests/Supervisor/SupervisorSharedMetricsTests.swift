import Foundation
import Glibc
import XCTest

/// Metrics under the master live in the shared-memory segment (DESIGN §4): whichever worker
/// answers `/metrics` shows the whole service's totals, and they never go down across
/// reloads or a worker killed and respawned.
final class SupervisorSharedMetricsTests: SupervisorTestCase {
    static let requests = #"pylon_requests_total{route="/",status="200",upstream="default"}"#
    static let durations = #"pylon_request_duration_seconds_count{route="/"}"#

    /// `GET /` on a new connection; the status, 0 if none came back.
    private func request(_ gateway: SupervisedGateway) -> Int {
        let response = try? RawHTTPClient.exchange(port: gateway.port, send: "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        return response?.statusCodes.first ?? 0
    }

    /// Runs `body` while every worker but `worker` is stopped (SIGSTOP), so `worker` alone
    /// accepts on the shared listeners: whatever `body` sends is served by it.
    private func onlyWorker<T>(_ worker: pid_t, of workers: [pid_t], _ body: () throws -> T) throws -> T {
        let others = workers.filter { $0 != worker }
        for other in others { kill(other, SIGSTOP) }
        defer { for other in others { kill(other, SIGCONT) } }
        XCTAssertTrue(waitUntil(timeout: 5) { others.allSatisfy { ProcFS.stat(of: $0)?.state == "T" } }, "workers \(others) did not stop")
        return try body()
    }

    /// Inodes of the shared segments `pid` holds open (`/memfd:pylon-shared`).
    private func segmentDescriptors(of pid: pid_t) -> Set<UInt64> {
        var inodes: Set<UInt64> = []
        for (fd, target) in ProcFS.openFileDescriptors(of: pid) where target.hasPrefix("/memfd:pylon-shared") {
            var status = stat()
            if stat("/proc/\(pid)/fd/\(fd)", &status) == 0 { inodes.insert(UInt64(status.st_ino)) }
        }
        return inodes
    }

    /// Inodes of the shared segments mapped into `pid` (`/proc/PID/maps`: address, perms,
    /// offset, device, inode, path).
    private func segmentMappings(of pid: pid_t) -> Set<UInt64> {
        let maps = (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)) ?? ""
        var inodes: Set<UInt64> = []
        for line in maps.split(separator: "\n") where line.contains("/memfd:pylon-shared") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count > 4, let inode = UInt64(fields[4]) { inodes.insert(inode) }
        }
        return inodes
    }

    func testTheMasterKeepsOneSegmentAcrossReloadsAndEveryWorkerMapsItWithoutHoldingItsDescriptor() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 4, backend: backend)
        let segment = segmentDescriptors(of: gateway.pid)
        XCTAssertEqual(segment.count, 1, "\(ProcFS.openFileDescriptors(of: gateway.pid))")
        for round in 0...2 {
            if round > 0 {
                let result = try gateway.reload()
                XCTAssertEqual(result.code, 0, result.output)
                XCTAssertEqual(segmentDescriptors(of: gateway.pid), segment, "the re-exec'd master holds the same segment")
                // Only the new generation: an exiting worker's mappings are already gone.
                XCTAssertTrue(waitUntil(timeout: 10) { gateway.workers.count == 4 }, "\(gateway.workers)")
            }
            let workers = gateway.workers
            XCTAssertEqual(workers.count, 4)
            for worker in workers {
                XCTAssertEqual(segmentMappings(of: worker), segment, "worker \(worker) maps the master's segment")
                XCTAssertEqual(segmentDescriptors(of: worker), [], "worker \(worker) closed the descriptor after mapping")
            }
        }
    }

    func testEveryWorkerScrapesTheRequestsServedByAllWorkers() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 4, backend: backend)
        let workers = gateway.workers
        XCTAssertEqual(workers.count, 4, gateway.process.logTail())
        // Make sure a failure half-way never leaves a worker stopped.
        defer { for worker in workers { kill(worker, SIGCONT) } }

        // Each worker serves a different number of requests, alone.
        var sent = 0
        for (index, worker) in workers.enumerated() {
            let count = index + 2
            let statuses = try onlyWorker(worker, of: workers) { (0..<count).map { _ in request(gateway) } }
            XCTAssertEqual(statuses, Array(repeating: 200, count: count), "worker \(worker)")
            sent += count
        }
        XCTAssertEqual(backend.receivedRequests.count, sent)

        // Each worker, scraped alone, reports all of them.
        for worker in workers {
            var text = ""
            let exact = try onlyWorker(worker, of: workers) {
                waitUntil(timeout: 5, pollInterval: 0.05) {
                    text = (try? Curl.run("http://127.0.0.1:\(gateway.metricsPort)/metrics", maxTime: 5).bodyText) ?? ""
                    return MetricsText.value(of: Self.requests, in: text) == "\(sent)"
                }
            }
            XCTAssertTrue(exact, "worker \(worker) scraped \(MetricsText.value(of: Self.requests, in: text) ?? "nothing"), expected \(sent):\n\(text)")
            XCTAssertEqual(MetricsText.value(of: Self.durations, in: text), "\(sent)", text)
            XCTAssertEqual(MetricsText.value(of: "pylon_generation", in: text), "1", text)
        }
    }

    func testCountersNeverGoDownAcrossReloadsAndAWorkerRestartAndEndAtTheExactTotal() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 4, backend: backend, drainTimeout: "5s")
        let load = SequentialRequests(port: gateway.port)
        let scraper = MetricsScrapeLoop(metricsPort: gateway.metricsPort, series: [Self.requests, Self.durations, "pylon_generation"])
        Thread.sleep(forTimeInterval: 0.5)

        for generation in 2...4 {
            let result = try gateway.reload()
            XCTAssertEqual(result.code, 0, result.output)
            XCTAssertTrue(result.output.contains("ok generation \(generation)"), result.output)
            Thread.sleep(forTimeInterval: 0.5)
        }

        // A worker killed outright: no request of ours is in flight, so none is lost with it.
        load.pause()
        let victim = try XCTUnwrap(gateway.workers.first)
        kill(victim, SIGKILL)
        XCTAssertTrue(waitUntil(timeout: 5) { !ProcFS.isAlive(victim) })
        load.resume()
        XCTAssertTrue(waitUntil(timeout: 10) { gateway.workers.count == 4 && !gateway.workers.contains(victim) },
                      "no replacement for \(victim): \(gateway.workers)\n\(gateway.process.logTail())")
        Thread.sleep(forTimeInterval: 1)

        let totals = load.stop()
        XCTAssertEqual(totals.failed, 0, "\(totals)")
        XCTAssertGreaterThan(totals.ok, 20, "\(totals)")
        // Recording follows the response by a moment: the scrapes catch up to the exact total.
        XCTAssertTrue(waitUntil(timeout: 5) { scraper.snapshot.last[Self.requests] == Double(totals.ok) },
                      "sent \(totals.ok), scraped \(scraper.snapshot)")
        XCTAssertTrue(waitUntil(timeout: 5) { scraper.snapshot.last[Self.durations] == Double(totals.ok) },
                      "sent \(totals.ok), scraped \(scraper.snapshot)")
        let report = scraper.stop()
        print("[shared metrics across 3 reloads and a killed worker] \(totals); \(report)")
        XCTAssertEqual(report.decreases, [], "\(report)")
        XCTAssertGreaterThan(report.scrapes, 20, "\(report)")
        XCTAssertEqual(report.last["pylon_generation"], 4, "\(report)")
    }

    func testEveryScrapeShowsTheNewGenerationOnceAReloadReturns() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 4, backend: backend)
        XCTAssertEqual(gateway.servingGeneration(), 1)
        for generation in 2...3 {
            let result = try gateway.reload()
            XCTAssertEqual(result.code, 0, result.output)
            // Old workers may still be draining; the gauge only moves up, so none reports its own.
            let seen = (0..<10).map { _ in gateway.servingGeneration() }
            XCTAssertEqual(seen, Array(repeating: generation, count: 10))
        }
    }
}
