import Foundation
import Glibc

/// A running `pylon` (or any other program a test starts, e.g. `/bin/sleep`), with stdout and
/// stderr captured to files in a log directory so tests can assert on logs while it runs
/// and read them after it died.
///
/// Start it through `IntegrationTestCase.startPylon(…)` / `startProcess(…)`, which register
/// it with the test's `ProcessJanitor`: it is then killed and reaped in `tearDown` even if
/// the test failed or threw half-way.
final class PylonProcess: Sendable, CustomStringConvertible {
    let child: ChildProcess
    let stdoutPath: String
    let stderrPath: String

    var pid: pid_t { child.pid }
    var description: String { child.description }

    /// Spawns `executable` (default: the pylon binary) with `arguments`; `environment`
    /// overrides the runner's environment. Logs go to `<logDirectory>/<label>.stdout|.stderr`.
    static func start(
        executable: String? = nil,
        arguments: [String],
        environment: [String: String] = [:],
        logDirectory: String,
        label: String = "pylon"
    ) throws -> PylonProcess {
        let executable = try executable ?? PylonBinary.path()
        let stdoutPath = "\(logDirectory)/\(label).stdout"
        let stderrPath = "\(logDirectory)/\(label).stderr"
        let child = try ChildProcess.spawn(
            executable: executable, arguments: arguments, environment: environment,
            stdoutPath: stdoutPath, stderrPath: stderrPath
        )
        return PylonProcess(child: child, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    private init(child: ChildProcess, stdoutPath: String, stderrPath: String) {
        self.child = child
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    // MARK: Logs

    func stdoutText() -> String { Self.read(stdoutPath) }
    func stderrText() -> String { Self.read(stderrPath) }

    /// stderr once every line a worker had queued by now has been written. For checks that
    /// a line was *not* logged: a worker writes its event loops' lines from a thread of its
    /// own, in batches at most 20 ms apart, so reading at once could miss one just logged.
    func settledStderrText() -> String {
        Thread.sleep(forTimeInterval: 0.2)
        return stderrText()
    }

    /// Waits until stdout or stderr contains `text`. Throws (with the log tail) on timeout or
    /// if the process exits without having logged it.
    func waitForLog(containing text: String, timeout: Double = 10) throws {
        try self.waitUntilLogged(text, timeout: timeout) { stderrText().contains(text) || stdoutText().contains(text) }
    }

    /// Waits until the diagnostic log (stderr) contains `text`, as `waitForLog` does. A worker
    /// writes the lines its event loops log from a thread of its own, so a line can reach
    /// stderr a little after the response it was logged for.
    func waitForDiagnostic(containing text: String, timeout: Double = 10) throws {
        try self.waitUntilLogged(text, timeout: timeout) { stderrText().contains(text) }
    }

    private func waitUntilLogged(_ text: String, timeout: Double, _ logged: () -> Bool) throws {
        var exitedEarly = false
        // Stop polling as soon as the process is gone: its logs can no longer change.
        waitUntil(timeout: timeout, pollInterval: 0.02) {
            if logged() { return true }
            exitedEarly = child.exitStatus != nil
            return exitedEarly
        }
        // Re-read after the exit check: output written just before exiting still counts.
        guard logged() else {
            throw PylonProcessError.logNotSeen(text, process: description, exit: exitedEarly ? child.exitStatus : nil, logs: logTail())
        }
    }

    /// The last `lines` lines of stderr and stdout, for failure messages.
    func logTail(lines: Int = 30) -> String {
        func tail(_ text: String) -> String {
            text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).suffix(lines).joined(separator: "\n")
        }
        return "--- stderr (\(stderrPath)) ---\n\(tail(stderrText()))\n--- stdout (\(stdoutPath)) ---\n\(tail(stdoutText()))"
    }

    // MARK: Readiness

    /// Polls a TCP connect to 127.0.0.1:`port` until it succeeds. Throws on timeout or if the
    /// process exits first (with its logs in the error).
    func waitUntilAccepting(port: Int, timeout: Double = 10) throws {
        var accepting = false
        waitUntil(timeout: timeout, pollInterval: 0.02) {
            if child.exitStatus != nil { return true }  // give up at once, it will never accept
            guard let socket = try? LoopbackSocket(connectingTo: port, timeout: 1) else { return false }
            socket.close()
            accepting = true
            return true
        }
        guard accepting else {
            throw PylonProcessError.notAccepting(port: port, process: description, exit: child.exitStatus, logs: logTail())
        }
    }

    // MARK: Signals and exit

    var isRunning: Bool { child.isRunning }
    var exitStatus: ChildProcess.ExitStatus? { child.exitStatus }

    /// Sends `signal` to the pylon process itself (not its group): SIGHUP, SIGUSR2, …
    func signal(_ signal: Int32) { child.signal(signal) }

    /// Waits up to `timeout` seconds; returns the exit code (128+N if killed by signal N), or
    /// `nil` if still running.
    func waitForExit(timeout: Double) -> Int32? { child.waitForExit(timeout: timeout)?.code }

    /// SIGTERM, SIGKILL (whole process group) after `timeout`, reap. Returns the exit status.
    @discardableResult
    func terminate(timeout: Double = 5) -> ChildProcess.ExitStatus { child.terminate(timeout: timeout) }

    private static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

enum PylonProcessError: Error, CustomStringConvertible {
    case logNotSeen(String, process: String, exit: ChildProcess.ExitStatus?, logs: String)
    case notAccepting(port: Int, process: String, exit: ChildProcess.ExitStatus?, logs: String)

    var description: String {
        switch self {
        case .logNotSeen(let text, let process, let exit, let logs):
            return "\(process) never logged \(text.debugDescription)\(exit.map { " (it \($0))" } ?? "")\n\(logs)"
        case .notAccepting(let port, let process, let exit, let logs):
            return "\(process) not accepting on 127.0.0.1:\(port)\(exit.map { " (it \($0))" } ?? "")\n\(logs)"
        }
    }
}
