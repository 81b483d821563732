import CPylon
#if canImport(Glibc)
import Glibc
#endif

/// Starts the processes the master needs: workers (with their control socket as fd 3) and
/// `check` runs (output captured). Both get an empty signal mask, default dispositions,
/// /dev/null stdin and no descriptor of the master's besides those named.
enum ProcessSpawner {
    /// Variables a worker or `check` must not inherit from the master.
    static let privateEnvironmentKeys: Set<String> = [
        "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
        ReexecState.environmentKey,
    ]

    static func childEnvironment() -> [String] {
        currentEnvironment().filter { entry in
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            return !privateEnvironmentKeys.contains(key)
        }
    }

    static func spawnWorker(binary: String, arguments: [String], controlFD: Int32) throws -> pid_t {
        var pid: pid_t = 0
        let result = withCStringArray([binary] + arguments) { argv in
            withCStringArray(childEnvironment()) { envp in
                pylon_spawn_with_control_fd(binary, argv, envp, controlFD, &pid)
            }
        }
        guard result == 0 else { throw SystemError("posix_spawn \(binary)", code: result) }
        return pid
    }

    /// Runs `binary arguments` to completion (SIGKILLed after `timeoutSeconds`); returns its
    /// exit status (shell convention: 128+N for signal N) and combined output.
    static func run(binary: String, arguments: [String], timeoutSeconds: Double) -> (status: Int32, output: String) {
        var pipeFDs: [Int32] = [-1, -1]
        guard pylon_pipe_cloexec(&pipeFDs) == 0 else { return (-1, "\(SystemError("pipe"))") }
        var pid: pid_t = 0
        let result = withCStringArray([binary] + arguments) { argv in
            withCStringArray(childEnvironment()) { envp in
                pylon_spawn_capturing_output(binary, argv, envp, pipeFDs[1], &pid)
            }
        }
        close(pipeFDs[1])
        defer { close(pipeFDs[0]) }
        guard result == 0 else { return (-1, "cannot run \(binary): \(String(cString: strerror(result)))") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = MonotonicClock.now() + UInt64(timeoutSeconds * 1e9)
        var timedOut = false
        while true {
            let now = MonotonicClock.now()
            if now >= deadline {
                timedOut = true
                kill(pid, SIGKILL)
                break
            }
            var descriptor = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min((deadline - now) / 1_000_000 + 1, 1000)))
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            if output.count < 65536 { output += buffer[0..<count] }
        }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        if timedOut { return (128 + SIGKILL, text + "(timed out after \(Int(timeoutSeconds)) s)") }
        return (ExitStatus(raw).shellCode, text)
    }
}

/// A `waitpid` status.
struct ExitStatus: CustomStringConvertible {
    let raw: Int32

    init(_ raw: Int32) { self.raw = raw }

    var signal: Int32? { (raw & 0x7f) == 0 ? nil : raw & 0x7f }
    var code: Int32 { (raw >> 8) & 0xff }
    var shellCode: Int32 { signal.map { 128 + $0 } ?? code }

    var description: String {
        if let signal { return "killed by signal \(signal)" }
        return "exit status \(code)"
    }
}
