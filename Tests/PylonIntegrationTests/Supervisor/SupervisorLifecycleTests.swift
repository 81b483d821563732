import Foundation
import Glibc
import XCTest

/// Master and workers: listeners passed to N workers, respawn, no orphans, signals,
/// sd_notify (DESIGN §3; issue "Master/worker supervisor" 1–3, 6, 7, 10).
final class SupervisorLifecycleTests: SupervisorTestCase {
    func testOneWorkerServesOnTheMastersListener() throws {
        try checkWorkersServe(count: 1)
    }

    func testFourWorkersServeOnTheMastersListener() throws {
        try checkWorkersServe(count: 4)
    }

    private func checkWorkersServe(count: Int) throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: count, backend: backend)
        XCTAssertEqual(gateway.workers.count, count, gateway.process.logTail())
        try assertServes(gateway, count: 8)
        XCTAssertEqual(gateway.servingGeneration(), 1)
        // The listener sockets the master holds are the very ones every worker accepts on.
        let masterSockets = Set(ProcFS.openFileDescriptors(of: gateway.pid).values.filter { $0.hasPrefix("socket:") })
        for worker in gateway.workers {
            let workerSockets = Set(ProcFS.openFileDescriptors(of: worker).values.filter { $0.hasPrefix("socket:") })
            XCTAssertGreaterThanOrEqual(masterSockets.intersection(workerSockets).count, 2, "worker \(worker) shares the http and metrics listeners")
        }
    }

    func testAWorkerKilledWithSIGKILLIsRespawnedAndTheOthersKeepServing() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 2, backend: backend)
        let before = gateway.workers
        XCTAssertEqual(before.count, 2)
        // A slow request on the surviving worker must not notice.
        let slow = try startProcess(executable: Curl.executable, arguments: ["-q", "-s", "--noproxy", "*", "--max-time", "10", "-w", "\n%{http_code}", gateway.url + "/slow/1500"], label: "curl")
        Thread.sleep(forTimeInterval: 0.3)
        kill(before[0], SIGKILL)
        XCTAssertTrue(waitUntil(timeout: 5) {
            let now = gateway.workers
            return now.count == 2 && !now.contains(before[0])
        }, "a new worker replaced \(before[0]): \(gateway.workers)\n\(gateway.process.logTail())")
        try assertServes(gateway, count: 10)
        XCTAssertNotNil(slow.waitForExit(timeout: 10))
        // The slow request was either on the killed worker (lost with it) or on the other (200).
        let output = slow.stdoutText()
        if !output.hasSuffix("200") {
            XCTAssertTrue(output.isEmpty || output.hasSuffix("000"), "unexpected: \(output)")
        }
        try gateway.process.waitForLog(containing: "respawning")
    }

    func testKillingTheMasterWithSIGKILLLeavesNoProcessBehind() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 4, backend: backend, drainTimeout: "2s")
        let workers = gateway.workers
        XCTAssertEqual(workers.count, 4)
        gateway.process.child.signal(SIGKILL)
        _ = gateway.process.waitForExit(timeout: 5)
        let gone = waitUntil(timeout: 4) { workers.allSatisfy { !ProcFS.isAlive($0) } }
        XCTAssertTrue(gone, "workers still alive: \(workers.filter { ProcFS.isAlive($0) })")
        XCTAssertEqual(ProcFS.processes(inGroup: gateway.pid), [])
    }

    func testSIGTERMStopsMasterAndFourWorkersWithinOneSecond() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 4, backend: backend)
        let workers = gateway.workers
        let idle = try RawConnection(port: gateway.port)
        defer { idle.close() }
        let started = Date()
        gateway.process.signal(SIGTERM)
        let code = gateway.process.waitForExit(timeout: 3)
        XCTAssertEqual(code, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)
        XCTAssertTrue(workers.allSatisfy { !ProcFS.isAlive($0) })
    }

    func testSIGQUITDrainsEveryWorkerAndExitsZero() throws {
        let backend = try startBackend()
        let notify = try NotifySocket(directory: try makeTempDirectory())
        let gateway = try startSupervised(workers: 2, backend: backend, environment: notify.environment)
        let slow = try startProcess(executable: Curl.executable, arguments: ["-q", "-s", "--noproxy", "*", "--max-time", "10", "-w", "\n%{http_code}", gateway.url + "/slow/1500"], label: "curl")
        Thread.sleep(forTimeInterval: 0.3)
        gateway.process.signal(SIGQUIT)
        try notify.waitForMessage(containing: "STOPPING=1")
        XCTAssertEqual(gateway.process.waitForExit(timeout: 8), 0)
        XCTAssertEqual(slow.waitForExit(timeout: 5), 0)
        XCTAssertTrue(slow.stdoutText().hasSuffix("200"), slow.stdoutText())
        XCTAssertEqual(ProcFS.processes(inGroup: gateway.pid), [])
    }

    func testSocketActivationListenerIsAdoptedByName() throws {
        let activate = "/usr/bin/systemd-socket-activate"
        guard FileManager.default.isExecutableFile(atPath: activate) else { throw XCTSkip("no systemd-socket-activate") }
        let backend = try startBackend()
        let port = try freePort()
        let metricsPort = try freePort()
        let config = try writeConfig(gatewayYAML(port: port, metricsPort: metricsPort, backend: backend))
        let control = "\(try testDirectory())/control.sock"
        // systemd-socket-activate binds, and on the first connection execs pylon with
        // LISTEN_FDS (same pid) — so the first request waits in the socket's queue while the
        // master and its workers start, and is served from it.
        let process = try startProcess(
            executable: activate,
            arguments: ["-l", "127.0.0.1:\(port)", "--fdname=http", try binary, "run", "-c", config, "--workers", "2", "--control-socket", control],
            label: "pylon"
        )
        try process.waitForLog(containing: "Listening on")
        let result = try Curl.run("http://127.0.0.1:\(port)/", maxTime: 10)
        XCTAssertEqual(result.status, 200, "\(result)")
        try process.waitForLog(containing: "generation ready; serving")
        XCTAssertTrue(process.stderrText().contains("adopted listener from systemd"), process.logTail())
        XCTAssertFalse(process.stderrText().contains("listener=http [PylonSupervisor] bound listener"))
    }
}
