import Foundation
import NIOSSL
import XCTest

/// Base class for integration tests: owns everything a test starts and tears it down.
///
/// In `tearDown` (which XCTest runs even when the test failed or threw): every process
/// started through `startPylon`/`startProcess` (or registered with `janitor`) is terminated,
/// SIGKILLed if needed, and reaped; every `TestBackend` from `startBackend` is shut down; the
/// temp directories are removed — unless the test failed, in which case they are kept and
/// their paths printed together with the tail of each process's logs.
/// Set `PYLON_KEEP_TEST_DIRS=1` to keep them always.
class IntegrationTestCase: XCTestCase {
    let janitor = ProcessJanitor()
    private var processes: [PylonProcess] = []
    private var backends: [TestBackend] = []
    private var temporaryDirectories: [String] = []
    private var testDirectoryPath: String?
    private var configCount = 0

    override func tearDown() {
        let failed = (testRun?.failureCount ?? 0) + (testRun?.unexpectedExceptionCount ?? 0) > 0
        if failed {
            for process in processes {
                print("[\(name)] \(process)\(process.exitStatus.map { " \($0)" } ?? " (running)")\n\(process.logTail())")
            }
        }
        let killed = janitor.cleanUp()
        if !killed.isEmpty {
            print("[\(name)] had to SIGKILL: \(killed.joined(separator: "; "))")
        }
        for backend in backends { backend.shutdown() }
        let keep = failed || ProcessInfo.processInfo.environment["PYLON_KEEP_TEST_DIRS"] == "1"
        for directory in temporaryDirectories {
            if keep { print("[\(name)] kept \(directory)") } else { TemporaryDirectory.remove(directory) }
        }
        processes = []
        backends = []
        temporaryDirectories = []
        testDirectoryPath = nil
        super.tearDown()
    }

    // MARK: Files

    /// A new empty directory, removed in `tearDown`.
    func makeTempDirectory() throws -> String {
        let directory = try TemporaryDirectory.make(prefix: "pylon-itest")
        temporaryDirectories.append(directory)
        return directory
    }

    /// This test's working directory (configs, logs), created on first use.
    func testDirectory() throws -> String {
        if let testDirectoryPath { return testDirectoryPath }
        let directory = try makeTempDirectory()
        testDirectoryPath = directory
        return directory
    }

    /// Writes `yaml` to a new file in the test directory and returns its path.
    func writeConfig(_ yaml: String, named name: String? = nil) throws -> String {
        configCount += 1
        let path = "\(try testDirectory())/\(name ?? "pylon-\(configCount).yaml")"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: Ports

    func freePort() throws -> Int { try FreePort.next() }

    // MARK: Processes

    /// Starts the pylon binary, e.g. `startPylon(["run", "-c", config])`. Logs go to the test
    /// directory as `pylon-N.stdout` / `.stderr`.
    func startPylon(_ arguments: [String], environment: [String: String] = [:]) throws -> PylonProcess {
        try startProcess(executable: PylonBinary.path(), arguments: arguments, environment: environment, label: "pylon")
    }

    /// Starts any program with the same bookkeeping as `startPylon`.
    func startProcess(executable: String, arguments: [String], environment: [String: String] = [:], label: String? = nil) throws -> PylonProcess {
        let baseLabel = label ?? URL(fileURLWithPath: executable).lastPathComponent
        let process = try PylonProcess.start(
            executable: executable, arguments: arguments, environment: environment,
            logDirectory: try testDirectory(), label: "\(baseLabel)-\(processes.count + 1)"
        )
        janitor.track(process)
        processes.append(process)
        return process
    }

    // MARK: Backends

    /// Starts an in-process HTTP backend (HTTPS with `tls`), shut down in `tearDown`.
    func startBackend(
        name: String = "backend", extraHeaders: [(String, String)] = [], answersExpectContinue: Bool = true,
        tls: NIOSSLContext? = nil
    ) throws -> TestBackend {
        let backend = try TestBackend(name: name, extraHeaders: extraHeaders, answersExpectContinue: answersExpectContinue, tls: tls)
        backends.append(backend)
        return backend
    }
}
