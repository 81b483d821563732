import Foundation
import Glibc
import XCTest

/// Upgrades: re-exec in place, new generation, drain the old; every failure keeps the old
/// generation serving and makes `pylon reload` fail with the reason (issue items 4, 5).
final class SupervisorUpgradeTests: SupervisorTestCase {
    func testReloadWithOneWorkerStartsANewGenerationUnderTheSamePID() throws {
        try checkReload(workers: 1)
    }

    func testReloadWithFourWorkersStartsANewGenerationUnderTheSamePID() throws {
        try checkReload(workers: 4)
    }

    private func checkReload(workers: Int) throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: workers, backend: backend)
        let old = Set(gateway.workers)
        let result = try gateway.reload()
        XCTAssertEqual(result.code, 0, result.output)
        XCTAssertTrue(result.output.contains("ok generation 2"), result.output)
        XCTAssertTrue(gateway.process.isRunning)
        XCTAssertTrue(gateway.waitForGeneration(2))
        XCTAssertTrue(waitUntil(timeout: 5) { gateway.workers.count == workers && old.isDisjoint(with: gateway.workers) },
                      "old \(old), now \(gateway.workers)")
        try assertServes(gateway)
    }

    func testABadConfigKeepsTheOldGenerationAndFailsTheReload() throws {
        let backend = try startBackend()
        let notify = try NotifySocket(directory: try makeTempDirectory())
        let gateway = try startSupervised(workers: 2, backend: backend, environment: notify.environment)
        let workers = Set(gateway.workers)
        let good = try String(contentsOfFile: gateway.configPath, encoding: .utf8)
        try Data((good + "no_such_key: 1\n").utf8).write(to: URL(fileURLWithPath: gateway.configPath))
        let result = try gateway.reload()
        XCTAssertNotEqual(result.code, 0)
        XCTAssertTrue(result.output.contains("no_such_key"), result.output)
        XCTAssertEqual(Set(gateway.workers), workers, "generation 1 untouched")
        XCTAssertEqual(gateway.servingGeneration(), 1)
        try assertServes(gateway)
        try notify.waitForMessage(containing: "last reload: failed")
        // And once the config is fixed, the next reload works.
        try Data(good.utf8).write(to: URL(fileURLWithPath: gateway.configPath))
        XCTAssertEqual(try gateway.reload().code, 0)
    }

    func testWorkersThatCannotStartKeepTheOldGenerationAndFailTheReload() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 2, backend: backend)
        let workers = Set(gateway.workers)
        // Valid for `check`, but the workers cannot resolve the upstream, so never get ready.
        let yaml = gatewayYAML(port: gateway.port, metricsPort: gateway.metricsPort, backend: backend, upstreamTarget: "no-such-host.invalid:80")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: gateway.configPath))
        let result = try gateway.reload()
        XCTAssertNotEqual(result.code, 0, result.output)
        XCTAssertTrue(result.output.contains("generation 2"), result.output)
        XCTAssertTrue(gateway.process.isRunning)
        // The failed generation's workers exit on their own; generation 1's are untouched.
        XCTAssertTrue(waitUntil(timeout: 5) { Set(gateway.workers) == workers }, "\(gateway.workers) vs \(workers)")
        XCTAssertEqual(gateway.servingGeneration(), 1)
        try assertServes(gateway)
    }

    func testABinaryThatFailsCheckIsNotExecutedAndAReplacedBinaryTakesEffect() throws {
        let backend = try startBackend()
        let directory = try makeTempDirectory()
        let real = "\(directory)/pylon-real"
        try FileManager.default.copyItem(atPath: try binary, toPath: real)
        let installed = "\(directory)/pylon"
        try FileManager.default.copyItem(atPath: real, toPath: installed)
        let gateway = try startSupervised(workers: 2, backend: backend, binary: installed)
        let workers = Set(gateway.workers)

        // Replace the binary on disk (rename over it, as package managers do) with a broken one.
        func install(_ script: String) throws {
            let temporary = "\(directory)/pylon.new"
            try Data(script.utf8).write(to: URL(fileURLWithPath: temporary))
            chmod(temporary, 0o755)
            XCTAssertEqual(rename(temporary, installed), 0)
        }
        try install("#!/bin/sh\necho 'this binary is broken' >&2\nexit 3\n")
        let failed = try gateway.reload()
        XCTAssertNotEqual(failed.code, 0)
        XCTAssertTrue(failed.output.contains("this binary is broken"), failed.output)
        XCTAssertEqual(Set(gateway.workers), workers)
        try assertServes(gateway)

        // A working new binary: the master and its workers run it after the upgrade.
        let marker = "\(directory)/marker"
        try install("#!/bin/sh\necho \"$1\" >> \(marker)\nexec \(real) \"$@\"\n")
        let upgraded = try gateway.reload()
        XCTAssertEqual(upgraded.code, 0, upgraded.output)
        let invocations = (try? String(contentsOfFile: marker, encoding: .utf8)) ?? ""
        // (`reload` lines are the test's own `pylon reload` runs through the same path.)
        XCTAssertEqual(invocations.split(separator: "\n").filter { $0 != "reload" }.sorted(), ["check", "run", "worker", "worker"], invocations)
        XCTAssertTrue(gateway.waitForGeneration(2))
        try assertServes(gateway)
    }

    func testASecondReloadDuringAnUpgradeIsBusy() throws {
        let backend = try startBackend()
        let directory = try makeTempDirectory()
        let real = "\(directory)/pylon-real"
        try FileManager.default.copyItem(atPath: try binary, toPath: real)
        let installed = "\(directory)/pylon"
        try FileManager.default.copyItem(atPath: real, toPath: installed)
        let gateway = try startSupervised(workers: 4, backend: backend, binary: installed)
        // The upgrade's `check` of the new binary takes a second, so the first upgrade is
        // certainly still running when the second reload arrives, however fast the machine.
        let slow = "\(directory)/pylon.new"
        try Data("#!/bin/sh\n[ \"$1\" = check ] && sleep 1\nexec \(real) \"$@\"\n".utf8).write(to: URL(fileURLWithPath: slow))
        chmod(slow, 0o755)
        XCTAssertEqual(rename(slow, installed), 0)
        let first = try startProcess(
            executable: real, arguments: ["reload", "--control-socket", gateway.controlSocket], label: "reload"
        )
        Thread.sleep(forTimeInterval: 0.3)
        let second = try gateway.reload()
        XCTAssertEqual(first.waitForExit(timeout: 30), 0, first.stderrText())
        XCTAssertNotEqual(second.code, 0, second.output)
        XCTAssertTrue(second.output.contains("busy"), second.output)
    }

    func testListenersAddedAndRemovedByTheConfigTakeEffectOnUpgrade() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 2, backend: backend, drainTimeout: "1s")
        let removedPort = try freePort()
        let addedPort = try freePort()
        // Upgrade 1: add "second". Upgrade 2: drop "second", add "third".
        try Data(gatewayYAML(port: gateway.port, metricsPort: gateway.metricsPort, backend: backend, drainTimeout: "1s", extraListeners: [("second", removedPort)]).utf8)
            .write(to: URL(fileURLWithPath: gateway.configPath))
        XCTAssertEqual(try gateway.reload().code, 0)
        XCTAssertEqual(try Curl.run("http://127.0.0.1:\(removedPort)/", maxTime: 5).status, 200)
        try Data(gatewayYAML(port: gateway.port, metricsPort: gateway.metricsPort, backend: backend, drainTimeout: "1s", extraListeners: [("third", addedPort)]).utf8)
            .write(to: URL(fileURLWithPath: gateway.configPath))
        let result = try gateway.reload()
        XCTAssertEqual(result.code, 0, result.output)
        XCTAssertEqual(try Curl.run("http://127.0.0.1:\(addedPort)/", maxTime: 5).status, 200)
        XCTAssertEqual(try Curl.run(gateway.url + "/", maxTime: 5).status, 200)
        // Once generation 2 has drained, nobody holds the removed socket: refused.
        XCTAssertTrue(waitUntil(timeout: 5) { (try? LoopbackSocket(connectingTo: removedPort, timeout: 1)).map { $0.close(); return false } ?? true },
                      "the removed listener still accepts")
    }

    func testASlowResponseAndASlowRequestBodyStartedBeforeAnUpgradeComplete() throws {
        let backend = try startBackend()
        let gateway = try startSupervised(workers: 2, backend: backend, drainTimeout: "20s")
        // Upstream answers after 5 s.
        let slow = try startProcess(executable: Curl.executable, arguments: ["-q", "-s", "--noproxy", "*", "--max-time", "20", "-w", "\n%{http_code}", gateway.url + "/slow/5000"], label: "curl")
        // A request body streamed over 5 s.
        let body = [UInt8](repeating: UInt8(ascii: "b"), count: 50_000)
        let upload = try RawConnection(port: gateway.port)
        defer { upload.close() }
        try upload.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.count)\r\n\r\n")
        try upload.send(Array(body[0..<5_000]))
        Thread.sleep(forTimeInterval: 0.5)
        let reload = try gateway.reload()
        XCTAssertEqual(reload.code, 0, reload.output)
        XCTAssertTrue(gateway.waitForGeneration(2))
        for piece in 1..<10 {
            Thread.sleep(forTimeInterval: 0.5)
            try upload.send(Array(body[(piece * 5_000)..<((piece + 1) * 5_000)]))
        }
        let response = try upload.readResponse(timeout: 10, requestMethod: "POST")
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.body, body)
        XCTAssertEqual(slow.waitForExit(timeout: 20), 0)
        XCTAssertEqual(slow.stdoutText(), "slow\n\n200")
    }
}
