import ArgumentParser
import PylonGateway

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file: prints `ok`, or every problem as file:line:col.",
        discussion: "Exit status 0 when the config is valid, 1 otherwise. Nothing is started."
    )

    @Option(name: [.short, .customLong("config")], help: "The YAML config file.")
    var config: String

    func run() throws {
        do {
            _ = try ConfigLoader.load(path: self.config)
            Console.standardOutput("ok\n")
        } catch {
            Console.standardError(error.description + "\n")
            throw ExitCode(1)
        }
    }
}
