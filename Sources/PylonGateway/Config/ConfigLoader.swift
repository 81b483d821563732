import Foundation
import Yams

/// Reads a gateway config file into a validated `GatewayConfig`, or fails with every problem
/// found, each as `file:line:col: message`.
///
/// Runs at start-up and in `pylon check`, never on an event loop, so blocking file I/O is fine.
public enum ConfigLoader {
    /// Reads and parses the file at `path`. Problems are reported against `path` as given.
    public static func load(path: String) throws(ConfigError) -> GatewayConfig {
        let yaml = try readText(path: path)
        return try parse(yaml: yaml, file: path)
    }

    /// Parses `yaml`; `file` names the source in problems, and relative paths of files the
    /// config refers to (key files) are taken from its directory.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> GatewayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(problems: [YAMLSyntaxProblem.problem(for: error, yaml: yaml, file: file)])
        }
        guard let root else {
            throw ConfigError(problems: [
                ConfigProblem(
                    file: file, line: 1, column: 1,
                    message: "the config is empty; it needs at least listeners, upstreams and routes"
                ),
            ])
        }
        let problems = ProblemList(file: file)
        let config = GatewayConfig.read(from: ConfigNode(root, path: "", problems: problems))
        guard let config, problems.isEmpty else {
            throw ConfigError(problems: problems.inFileOrder)
        }
        return config
    }

    /// The file's text, or the same `cannot read the config file` problem `load` reports.
    public static func readText(path: String) throws(ConfigError) -> String {
        func failure(_ message: String) -> ConfigError {
            ConfigError(problems: [ConfigProblem(file: path, line: 0, column: 0, message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure("cannot read the config file: no such file")
        }
        guard !isDirectory.boolValue else {
            throw failure("cannot read the config file: it is a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw failure("cannot read the config file: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw failure("the config file is not UTF-8 text")
        }
        return text
    }
}
