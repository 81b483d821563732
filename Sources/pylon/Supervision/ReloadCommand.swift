import ArgumentParser
import PylonSupervisor

#if canImport(Glibc)
import Glibc
#endif

/// `pylon reload`: asks the running master to upgrade (re-exec the binary on disk with the
/// config as it is now), waits for the outcome and prints it. Exit 0 on success, 1 with the
/// reason otherwise — usable as systemd's `ExecReload=`.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Upgrade the running gateway without dropping a connection; waits for the outcome.",
        discussion: """
            Talks to the master over its control socket. The master validates the binary and the \
            config with `pylon check`, re-executes itself in place (same PID), starts a new \
            generation of workers on the same listening sockets and drains the old one once \
            every new worker is ready. Anything failing leaves the old generation serving.
            """
    )

    @Option(help: "The master's control socket (default: $RUNTIME_DIRECTORY/pylon.sock, else /run/pylon/pylon.sock).")
    var controlSocket: String?

    @Option(help: "Seconds to wait for the outcome.")
    var timeout: Double = 120

    func run() throws {
        let path = self.controlSocket ?? ControlSocketDefault.path()
        switch ControlClient.send("reload", socketPath: path, timeoutSeconds: self.timeout) {
        case .succeeded(let line):
            Console.standardOutput("reload: \(line)\n")
        case .failed(let reason):
            Console.standardError("reload failed: \(reason)\n")
            throw ExitCode(1)
        }
    }
}

enum ControlSocketDefault {
    static func path() -> String {
        if let directory = getenv("RUNTIME_DIRECTORY").map({ String(cString: $0) }), !directory.isEmpty {
            // systemd may list several directories separated by ':'; the first is ours.
            return "\(directory.split(separator: ":").first.map(String.init) ?? directory)/pylon.sock"
        }
        return "/run/pylon/pylon.sock"
    }
}
