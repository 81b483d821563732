import ArgumentParser
import PylonGateway

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway described by a config file, in the foreground.",
        discussion: """
            Signals: SIGQUIT drains gracefully (in-flight requests finish, idle keep-alive
            connections are half-closed, never reset) and exits 0; SIGTERM and SIGINT stop
            within a second.
            """
    )

    @Option(name: [.short, .customLong("config")], help: "The YAML config file.")
    var config: String

    @Option(help: "Serving threads: a number or `auto` (one per core). Overrides `workers:` in the config.")
    var workers: WorkerCountArgument?

    func run() async throws {
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
