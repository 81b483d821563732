import ArgumentParser
import PylonGateway

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway described by a config file, in the foreground.",
        discussion: """
            Signals: SIGQUIT drains gracefully (in-flight requests finish, idle keep-alive \
            connections are half-closed, never reset) and exits 0; SIGTERM and SIGINT stop \
            within a second.

            A master process owns the listening sockets (bound, or taken from systemd socket \
            activation) and runs `workers` worker processes on them; it respawns a worker that \
            dies, and upgrades without dropping a connection on SIGHUP or `pylon reload` \
            (re-exec of the binary on disk, same PID, new generation of workers from the config \
            as it is then, old generation drained). SIGUSR1 is passed on to the workers. \
            With --single-process, this one process serves with `workers` threads instead.
            """
    )

    @Option(name: [.short, .customLong("config")], help: "The YAML config file.")
    var config: String

    @Option(help: "Worker processes (threads with --single-process): a number or `auto` (one per core). Overrides `workers:` in the config.")
    var workers: WorkerCountArgument?

    @Flag(help: "Serve from this one process, without a master: for development, or under another supervisor. No upgrades.")
    var singleProcess = false

    @Option(help: "the control socket `pylon reload` talks to (default: $RUNTIME_DIRECTORY/pylon.sock, else /run/pylon/pylon.sock).")
    var controlSocket: String?

    @Option(help: "seconds a new generation may take to become ready before an upgrade is abandoned.")
    var readyTimeout: Double = 30

    @Option(help: "generations allowed to drain at once; the oldest is killed past it.")
    var maxDrainingGenerations: Int = 4

    func run() async throws {
        if !self.singleProcess {
            let launcher = MasterLauncher(
                configPath: self.config, workers: self.workers?.value, controlSocket: self.controlSocket,
                readyTimeoutSeconds: self.readyTimeout, maxDrainingGenerations: max(1, self.maxDrainingGenerations)
            )
            let status = launcher.run()
            if status != 0 { throw ExitCode(status) }
            return
        }
        let config: GatewayConfig
        do {
            config = try ConfigLoader.load(path: self.config)
        } catch {
            Console.standardError(error.description + "\n")
            throw ExitCode(1)
        }
        try await GatewayProcess(config: config, workers: self.workers?.value ?? config.workers).run()
    }
}

/// `--workers N|auto`.
struct WorkerCountArgument: ExpressibleByArgument {
    let value: WorkerCount

    init?(argument: String) {
        if argument == "auto" {
            self.value = .auto
        } else if let n = Int(argument), n >= 1, n <= WorkerCount.maximum {
            self.value = .fixed(n)
        } else {
            return nil
        }
    }
}
