import ArgumentParser

@main
struct PylonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pylon",
        abstract: "Pylon: an HTTP gateway you can upgrade without any client noticing.",
        discussion: """
            Start with `pylon demo` to see the example gateway run on built-in backends, \
            then write a config (see examples/), check it with `pylon check -c FILE` and \
            serve it with `pylon run -c FILE`; `pylon reload` upgrades it in place.
            """,
        version: PylonVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, ReloadCommand.self, DemoCommand.self, HashPasswordCommand.self, VersionCommand.self, WorkerCommand.self]
    )
}

enum PylonVersion {
    static let current = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Pylon's version.")

    func run() {
        Console.standardOutput("pylon \(PylonVersion.current)\n")
    }
}
