import Foundation
import Glibc
import XCTest

/// Proves the process plumbing: spawn, logs, signals, exit codes, fd hygiene, cleanup.
final class ProcessSupportSelfTests: IntegrationTestCase {
    func testTerminateKillsAndReapsSleep() throws {
        let sleep = try startProcess(executable: "/bin/sleep", arguments: ["30"])
        XCTAssertTrue(sleep.isRunning)
        XCTAssertEqual(sleep.terminate(timeout: 5), .signaled(SIGTERM))
        XCTAssertFalse(sleep.isRunning)
        XCTAssertEqual(kill(sleep.pid, 0), -1, "reaped: the pid no longer exists")
    }

    func testTerminateEscalatesToSIGKILL() throws {
        let stubborn = try startProcess(executable: "/bin/sh", arguments: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"])
        try stubborn.waitForLog(containing: "ready")
        let started = Date()
        XCTAssertEqual(stubborn.terminate(timeout: 0.5), .signaled(SIGKILL))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testExitCodeAndLogs() throws {
        let process = try startProcess(executable: "/bin/sh", arguments: ["-c", "echo to-stdout; echo to-stderr >&2; exit 3"])
        XCTAssertEqual(process.waitForExit(timeout: 5), 3)
        XCTAssertEqual(process.stdoutText(), "to-stdout\n")
        XCTAssertEqual(process.stderrText(), "to-stderr\n")
        try process.waitForLog(containing: "to-stderr", timeout: 1)
        XCTAssertThrowsError(try process.waitForLog(containing: "never printed", timeout: 0.3))
    }

    func testSignalIsDelivered() throws {
        let process = try startProcess(executable: "/bin/sh", arguments: ["-c", "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.05; done"])
        try process.waitForLog(containing: "ready")
        process.signal(SIGUSR1)
        try process.waitForLog(containing: "got-usr1", timeout: 5)
    }

    func testEnvironmentOverridesAndScrubbing() throws {
        let process = try startProcess(
            executable: "/bin/sh", arguments: ["-c", "echo \"x=$PYLON_SELFTEST_X notify=${NOTIFY_SOCKET-unset}\""],
            environment: ["PYLON_SELFTEST_X": "42"]
        )
        XCTAssertEqual(process.waitForExit(timeout: 5), 0)
        XCTAssertEqual(process.stdoutText(), "x=42 notify=unset\n")
    }

    func testChildInheritsNoStrayDescriptorsAndStdinIsDevNull() throws {
        // A descriptor deliberately opened WITHOUT O_CLOEXEC must still not reach the child.
        let leaky = open("/dev/null", O_RDONLY)
        XCTAssertGreaterThan(leaky, 2)
        defer { close(leaky) }
        let process = try startProcess(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd; readlink /proc/$$/fd/0"])
        XCTAssertEqual(process.waitForExit(timeout: 5), 0)
        let lines = process.stdoutText().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.last, "/dev/null")
        let fds = Set(lines.dropLast().compactMap { Int($0) })
        XCTAssertFalse(fds.contains(Int(leaky)), "fds in child: \(fds)")
        XCTAssertTrue(fds.isSubset(of: [0, 1, 2, 3, 10, 255]), "only stdio (plus the shell's own) expected, got \(fds)")
    }

    func testChildLeadsItsOwnProcessGroup() throws {
        let process = try startProcess(executable: "/bin/sleep", arguments: ["30"])
        XCTAssertEqual(getpgid(process.pid), process.pid)
    }

    func testJanitorKillsWholeProcessGroupIncludingStubbornAndGrandchildren() throws {
        let janitor = ProcessJanitor()
        let directory = try makeTempDirectory()
        // A parent that forks a grandchild (same process group) and then exits: the grandchild
        // is the "orphaned worker" case.
        let parent = try PylonProcess.start(
            executable: "/bin/sh", arguments: ["-c", "sleep 30 & echo $!; exit 0"],
            logDirectory: directory, label: "parent"
        )
        let stubborn = try PylonProcess.start(
            executable: "/bin/sh", arguments: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"],
            logDirectory: directory, label: "stubborn"
        )
        let sleeper = try PylonProcess.start(executable: "/bin/sleep", arguments: ["30"], logDirectory: directory, label: "sleeper")
        for process in [parent, stubborn, sleeper] { janitor.track(process) }
        try stubborn.waitForLog(containing: "ready")
        XCTAssertEqual(parent.waitForExit(timeout: 5), 0)
        let grandchild = try XCTUnwrap(Int32(parent.stdoutText().trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(kill(grandchild, 0), 0, "grandchild alive before cleanup")

        let killed = janitor.cleanUp(gracePeriod: 0.5)
        XCTAssertEqual(killed, [stubborn.description])
        XCTAssertFalse(stubborn.isRunning)
        XCTAssertFalse(sleeper.isRunning)
        XCTAssertTrue(waitUntil(timeout: 5) { kill(grandchild, 0) == -1 || Self.isZombie(grandchild) }, "grandchild killed")
        XCTAssertTrue(janitor.running.isEmpty)
    }

    func testIntegrationTestCaseTearDownCleansUp() throws {
        let testCase = IntegrationTestCase(name: "inner", testClosure: { _ in })
        let process = try testCase.startProcess(executable: "/bin/sleep", arguments: ["30"])
        let directory = try testCase.testDirectory()
        let config = try testCase.writeConfig("workers: 1\n")
        XCTAssertEqual(try String(contentsOfFile: config, encoding: .utf8), "workers: 1\n")
        let backend = try testCase.startBackend(name: "inner")
        testCase.tearDown()
        XCTAssertFalse(process.isRunning)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
        XCTAssertThrowsError(try LoopbackSocket(connectingTo: backend.port, timeout: 1), "backend shut down")
    }

    func testWaitUntilAccepting() throws {
        let port = try freePort()
        let server = try startProcess(
            executable: "python3",
            arguments: ["-c", "import socket,time; time.sleep(0.3); s=socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(30)"]
        )
        try server.waitUntilAccepting(port: port, timeout: 10)
        let dead = try startProcess(executable: "/bin/sh", arguments: ["-c", "echo bye >&2; exit 1"])
        XCTAssertThrowsError(try dead.waitUntilAccepting(port: try freePort(), timeout: 5)) { error in
            XCTAssertTrue("\(error)".contains("bye"), "error carries the log tail: \(error)")
        }
    }

    func testFreePortsAreDistinctAndBindable() throws {
        let ports = try (0..<20).map { _ in try freePort() }
        XCTAssertEqual(Set(ports).count, ports.count)
        let backendPort = ports[0]
        XCTAssertTrue((1024...65535).contains(backendPort))
        // Nothing listens there now.
        XCTAssertThrowsError(try LoopbackSocket(connectingTo: backendPort, timeout: 1))
    }

    func testPylonBinaryLocation() throws {
        let directory = try makeTempDirectory()
        let fake = "\(directory)/pylon"
        XCTAssertTrue(FileManager.default.createFile(atPath: fake, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755]))
        XCTAssertEqual(try PylonBinary.locate(environment: ["PYLON_BINARY": fake], testExecutable: nil, sourceFile: "/x/Tests/PylonIntegrationTests/Support/F.swift"), fake)
        XCTAssertEqual(try PylonBinary.locate(environment: [:], testExecutable: "\(directory)/pylonPackageTests.xctest", sourceFile: "/x/Tests/PylonIntegrationTests/Support/F.swift"), fake)
        XCTAssertThrowsError(try PylonBinary.locate(environment: ["PYLON_BINARY": "\(directory)/missing"], testExecutable: nil, sourceFile: "/x/a/b/c/d.swift"))
        XCTAssertThrowsError(try PylonBinary.locate(environment: [:], testExecutable: "/nonexistent/x.xctest", sourceFile: "/root/Tests/PylonIntegrationTests/Support/F.swift")) { error in
            XCTAssertTrue("\(error)".contains("/root/.build/\(PylonBinary.buildConfiguration)/pylon"), "\(error)")
        }
        XCTAssertEqual(PylonBinary.packageRoot(sourceFile: "/r/Tests/PylonIntegrationTests/Support/F.swift").path, "/r")
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }
}
