import Foundation
import Glibc
import NIOConcurrencyHelpers

/// A child process spawned with `posix_spawn`, owned (and eventually reaped) by this object.
///
/// Why not Foundation `Process`: we need guarantees it does not document on Linux —
///   * no stray descriptors leak into the child (`addclosefrom_np(3)`), so a test holding
///     a listening socket or a pipe never keeps it alive inside pylon or curl;
///   * signal mask and dispositions reset to defaults (the test runner may ignore SIGPIPE,
///     and ignored dispositions survive `exec`);
///   * the child leads a new process group, so cleanup can kill the whole tree
///     (a pylon master and its workers) with one `kill(-pgid, SIGKILL)`;
///   * we reap with `waitpid` ourselves and know exactly when the pid becomes invalid.
///
/// Thread-safety: the only mutable state, the exit status, lives in a `NIOLockedValueBox`.
/// Every `kill` of the pid happens under that lock and only while the child is unreaped,
/// so a signal can never hit a recycled pid.
final class ChildProcess: Sendable, CustomStringConvertible {
    /// How a child ended.
    enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// Shell convention: the exit code, or 128 + signal number.
        var code: Int32 {
            switch self {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        }

        var description: String {
            switch self {
            case .exited(let code): return "exited(\(code))"
            case .signaled(let signal): return "signaled(\(signal))"
            }
        }
    }

    let pid: pid_t
    let executable: String
    let arguments: [String]
    /// Wall-clock start, for diagnostics.
    let startedAt = Date()

    private let exit = NIOLockedValueBox<ExitStatus?>(nil)

    var description: String { "\(executable) \(arguments.joined(separator: " ")) [pid \(pid)]" }

    /// Environment variables that must not leak from the test runner into a child: a test
    /// that wants them (sd_notify tests) sets them explicitly.
    static let scrubbedEnvironmentKeys: Set<String> = ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]

    private init(pid: pid_t, executable: String, arguments: [String]) {
        self.pid = pid
        self.executable = executable
        self.arguments = arguments
    }

    /// Spawns `executable` (an absolute path, or a bare name searched in `PATH`).
    ///
    /// - Parameters:
    ///   - environment: overrides applied on top of the runner's environment (or on top of
    ///     nothing if `inheritEnvironment` is false).
    ///   - stdoutPath, stderrPath: files (created/truncated) receiving the child's output;
    ///     `nil` means `/dev/null`. stdin is always `/dev/null`.
    static func spawn(
        executable: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        stdoutPath: String? = nil,
        stderrPath: String? = nil
    ) throws -> ChildProcess {
        var env: [String: String] = [:]
        if inheritEnvironment {
            env = ProcessInfo.processInfo.environment
            for key in scrubbedEnvironmentKeys { env[key] = nil }
        }
        env.merge(environment) { _, override in override }

        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        try check(posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0), "addopen stdin")
        let outputFlags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND
        try check(posix_spawn_file_actions_addopen(&fileActions, 1, stdoutPath ?? "/dev/null", outputFlags, 0o644), "addopen stdout")
        try check(posix_spawn_file_actions_addopen(&fileActions, 2, stderrPath ?? "/dev/null", outputFlags, 0o644), "addopen stderr")
        // Close everything above stderr in the child, whatever CLOEXEC state it has.
        try check(addCloseFrom(&fileActions, 3), "addclosefrom")

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        try check(posix_spawnattr_setsigmask(&attributes, &emptyMask), "setsigmask")
        try check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "setsigdefault")
        try check(posix_spawnattr_setpgroup(&attributes, 0), "setpgroup")
        let flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP
        try check(posix_spawnattr_setflags(&attributes, Int16(flags)), "setflags")

        let argv = [executable] + arguments
        let envp = env.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStringArray(argv) { cArgv in
            withCStringArray(envp) { cEnvp in
                if executable.contains("/") {
                    return posix_spawn(&pid, executable, &fileActions, &attributes, cArgv, cEnvp)
                } else {
                    return posix_spawnp(&pid, executable, &fileActions, &attributes, cArgv, cEnvp)
                }
            }
        }
        guard result == 0 else {
            throw ChildProcessError.spawnFailed(executable: executable, errno: result)
        }
        return ChildProcess(pid: pid, executable: executable, arguments: arguments)
    }

    /// The exit status if the child has been reaped (reaping it now if it has exited).
    var exitStatus: ExitStatus? { reapIfExited() }

    var isRunning: Bool { reapIfExited() == nil }

    /// Sends `signal` to the child; a no-op once it has been reaped.
    func signal(_ signal: Int32) {
        exit.withLockedValue { status in
            if status == nil { _ = Glibc.kill(pid, signal) }
        }
    }

    /// Sends `signal` to the child's whole process group (the child and anything it forked
    /// that did not move to another group). Still useful after the leader was reaped: the
    /// kernel keeps a pgid allocated while any member lives, so it cannot be recycled.
    func signalGroup(_ signal: Int32) {
        _ = Glibc.kill(-pid, signal)
    }

    /// Non-blocking `waitpid`; records and returns the status once the child has exited.
    @discardableResult
    func reapIfExited() -> ExitStatus? {
        exit.withLockedValue { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                status = Self.decode(raw)
            } else if result == -1 && errno == ECHILD {
                // Someone else reaped it (should not happen); treat as gone.
                status = .exited(-1)
            }
            return status
        }
    }

    /// Waits up to `timeout` seconds for the child to exit; `nil` if it is still running.
    func waitForExit(timeout: Double) -> ExitStatus? {
        var status: ExitStatus?
        waitUntil(timeout: timeout, pollInterval: 0.005) {
            status = reapIfExited()
            return status != nil
        }
        return status
    }

    /// SIGTERM, then SIGKILL (to the whole group) after `timeout`, then reap. Always returns
    /// with the child reaped.
    @discardableResult
    func terminate(timeout: Double = 5) -> ExitStatus {
        if let status = reapIfExited() { return status }
        signal(SIGTERM)
        if let status = waitForExit(timeout: timeout) { return status }
        return kill()
    }

    /// SIGKILL to the whole group, then reap.
    @discardableResult
    func kill() -> ExitStatus {
        signalGroup(SIGKILL)
        signal(SIGKILL)
        // SIGKILL cannot be caught; a generous bound only guards against an unkillable
        // (D-state) child hanging the test run forever.
        if let status = waitForExit(timeout: 30) { return status }
        return .exited(-1)
    }

    private static func decode(_ raw: Int32) -> ExitStatus {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are C macros that Swift does not import.
        let signal = raw & 0x7f
        if signal == 0 { return .exited((raw >> 8) & 0xff) }
        return .signaled(signal)
    }

    private static func check(_ result: Int32, _ what: String) throws {
        if result != 0 { throw ChildProcessError.spawnSetupFailed(step: what, errno: result) }
    }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case spawnFailed(executable: String, errno: Int32)
    case spawnSetupFailed(step: String, errno: Int32)

    var description: String {
        switch self {
        case .spawnFailed(let executable, let code):
            return "posix_spawn \(executable) failed: \(String(cString: strerror(code)))"
        case .spawnSetupFailed(let step, let code):
            return "posix_spawn setup (\(step)) failed: \(String(cString: strerror(code)))"
        }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+). Swift's Glibc module is
/// imported without `_GNU_SOURCE`, so the declaration is invisible; look the symbol up.
private let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
        // Without it we could leak descriptors into children; refuse rather than be flaky.
        return { _, _ in ENOSYS }
    }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt).self)
}()

/// Calls `body` with a NULL-terminated `char *const[]` built from `strings`.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
