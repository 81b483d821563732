import Foundation
import Glibc
import XCTest

/// A `pylon run --workers N` master started by a supervisor test.
struct SupervisedGateway {
    let process: PylonProcess
    let configPath: String
    let port: Int
    let metricsPort: Int
    let controlSocket: String
    let binary: String

    var pid: pid_t { process.pid }
    var url: String { "http://127.0.0.1:\(port)" }

    /// Worker processes right now (live children of the master).
    var workers: [pid_t] { ProcFS.children(of: pid).filter { ProcFS.isAlive($0) } }

    /// `pylon reload` with the real binary: (exit code, stdout + stderr).
    func reload(timeout: Double = 60) throws -> (code: Int32, output: String) {
        let directory = try TemporaryDirectory.make(prefix: "pylon-reload")
        defer { TemporaryDirectory.remove(directory) }
        let child = try ChildProcess.spawn(
            executable: binary, arguments: ["reload", "--control-socket", controlSocket, "--timeout", String(timeout)],
            stdoutPath: "\(directory)/out", stderrPath: "\(directory)/err"
        )
        let status = child.waitForExit(timeout: timeout + 5) ?? child.kill()
        let output = ((try? String(contentsOfFile: "\(directory)/out", encoding: .utf8)) ?? "")
            + ((try? String(contentsOfFile: "\(directory)/err", encoding: .utf8)) ?? "")
        return (status.code, output)
    }

    /// The `pylon_generation` gauge from /metrics (nil if unreadable).
    func servingGeneration() -> Int? {
        guard let result = try? Curl.run("http://127.0.0.1:\(metricsPort)/metrics", maxTime: 5), result.status == 200 else { return nil }
        for line in result.bodyText.split(separator: "\n") where line.hasPrefix("pylon_generation ") {
            return Double(line.dropFirst("pylon_generation ".count)).map { Int($0) }
        }
        return nil
    }

    /// Waits until every worker answering /metrics reports `generation` (old workers stop
    /// serving metrics as soon as they start draining).
    func waitForGeneration(_ generation: Int, timeout: Double = 10) -> Bool {
        waitUntil(timeout: timeout, pollInterval: 0.05) { servingGeneration() == generation }
    }
}

/// Base of the supervisor tests. Multi-worker tests need a release build of pylon (NIO's
/// debug-only assertion traps when several processes share a listener, DESIGN §9): the
/// binary is `$PYLON_RELEASE_BINARY` if set, else the usual `PylonBinary.path()`.
class SupervisorTestCase: IntegrationTestCase {
    var binary: String {
        get throws {
            if let path = ProcessInfo.processInfo.environment["PYLON_RELEASE_BINARY"], !path.isEmpty { return path }
            return try PylonBinary.path()
        }
    }

    /// A config with an `http` listener and metrics on free ports, routing everything to `backend`.
    func gatewayYAML(port: Int, metricsPort: Int, backend: TestBackend, drainTimeout: String = "5s", extraListeners: [(String, Int)] = [], upstreamTarget: String? = nil) -> String {
        var yaml = """
            drain_timeout: \(drainTimeout)
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}

            """
        for (name, extraPort) in extraListeners {
            yaml += "  - {name: \(name), address: \"127.0.0.1:\(extraPort)\"}\n"
        }
        yaml += """
            metrics: {address: "127.0.0.1:\(metricsPort)"}
            access_log: {enabled: false}
            upstreams:
              default: {targets: ["\(upstreamTarget ?? backend.address)"]}
            routes:
              - {path_prefix: /, upstream: default}

            """
        return yaml
    }

    /// Starts the master with `workers` workers and waits until generation 1 serves.
    func startSupervised(
        workers: Int, backend: TestBackend, drainTimeout: String = "5s", binary: String? = nil,
        environment: [String: String] = [:], extraArguments: [String] = []
    ) throws -> SupervisedGateway {
        let port = try freePort()
        let metricsPort = try freePort()
        let config = try writeConfig(gatewayYAML(port: port, metricsPort: metricsPort, backend: backend, drainTimeout: drainTimeout), named: "pylon.yaml")
        return try self.startSupervised(
            config: config, port: port, metricsPort: metricsPort, workers: workers, binary: binary, environment: environment,
            extraArguments: extraArguments
        )
    }

    /// Starts a master on the config file `config` (whose listener is `port`) and waits until
    /// its first generation serves. `controlSocket`: a path of the test's own by default.
    func startSupervised(
        config: String, port: Int, metricsPort: Int, workers: Int, controlSocket: String? = nil, binary: String? = nil,
        environment: [String: String] = [:], extraArguments: [String] = [], label: String = "pylon"
    ) throws -> SupervisedGateway {
        let controlSocket = try controlSocket ?? "\(testDirectory())/control.sock"
        let executable = try binary ?? self.binary
        let process = try startProcess(
            executable: executable,
            arguments: ["run", "-c", config, "--workers", String(workers), "--control-socket", controlSocket, "--ready-timeout", "10"] + extraArguments,
            environment: environment, label: label
        )
        let gateway = SupervisedGateway(process: process, configPath: config, port: port, metricsPort: metricsPort, controlSocket: controlSocket, binary: executable)
        try process.waitUntilAccepting(port: port)
        try process.waitForLog(containing: "generation ready; serving")
        return gateway
    }

    /// Several GETs, each on a new connection; all must answer 200 from `backend`.
    func assertServes(_ gateway: SupervisedGateway, count: Int = 5, file: StaticString = #filePath, line: UInt = #line) throws {
        for _ in 0..<count {
            let result = try Curl.run(gateway.url + "/", maxTime: 5)
            XCTAssertEqual(result.status, 200, "\(result)", file: file, line: line)
        }
    }
}
