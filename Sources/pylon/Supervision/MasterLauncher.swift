import Logging
import PylonGateway
import PylonSupervisor

#if canImport(Glibc)
import Glibc
#endif

/// `pylon run` in master mode: maps the config onto the supervisor's settings and runs
/// the master (in this thread, until it stops).
struct MasterLauncher {
    let configPath: String
    let workers: WorkerCount?
    let controlSocket: String?
    let readyTimeoutSeconds: Double
    let maxDrainingGenerations: Int

    func run() -> Int32 {
        LoggingBootstrap.once()
        let logger = Logger(label: "pylon.master")
        let absoluteConfig = Self.absolute(self.configPath)
        let settings: Result<SupervisorSettings, SupervisorSettingsError>
        do throws(ConfigError) {
            let text = try ConfigLoader.readText(path: absoluteConfig)
            let config = try ConfigLoader.parse(yaml: text, file: self.configPath)
            settings = .success(SupervisorSettings(config, workers: self.workers, configPath: self.configPath, configText: text))
        } catch {
            settings = .failure(SupervisorSettingsError(error.description))
        }
        if case .failure(let error) = settings, !Master.isResumingAfterUpgrade {
            // First start: nothing to keep serving, so fail like `pylon check` would.
            Console.standardError(error.description + "\n")
            return 1
        }
        let options = SupervisorOptions(
            binaryPath: Self.executablePath(),
            masterArguments: Array(CommandLine.arguments.dropFirst()),
            workerArguments: ["worker"],
            checkArguments: ["check", "-c", absoluteConfig],
            controlSocketPath: self.controlSocket ?? ControlSocketDefault.path(),
            readyTimeoutMilliseconds: Int(self.readyTimeoutSeconds * 1000),
            maxDrainingGenerations: self.maxDrainingGenerations
        )
        return Master(options: options, settings: settings, logger: logger).run()
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        return Self.string(buffer) + "/" + path
    }

    /// The binary's path on disk (resolved once, at first start; the re-exec state keeps it).
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return absolute(CommandLine.arguments[0]) }
        var path = Self.string(buffer)
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }

    /// A NUL-terminated C buffer as a String.
    static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
