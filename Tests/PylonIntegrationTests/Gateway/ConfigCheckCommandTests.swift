import Foundation
import XCTest

/// `pylon check` and `pylon run` on good and bad configs: the exit status, `ok`, and one
/// `file:line:col: message` line per problem.
final class ConfigCheckCommandTests: GatewayTestCase {
    /// One problem of each kind the issue names, each at a known place:
    /// line 9 col 15 the undefined upstream's name, line 10 col 16 the bad duration's value,
    /// line 11 col 1 the misspelt key.
    private func brokenConfig(port: Int) -> String {
        """
        listeners:
          - name: http
            address: "127.0.0.1:\(port)"
        upstreams:
          default:
            targets: ["127.0.0.1:9"]
        routes:
          - path_prefix: /
            upstream: nowhere
        drain_timeout: 10 parsecs
        acess_log: {enabled: false}

        """
    }

    private func assertReportsEveryProblemOfTheBrokenConfig(_ stderr: String, path: String, file: StaticString = #filePath, line: UInt = #line) {
        let lines = stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, "expected exactly three problem lines, got:\n\(stderr)", file: file, line: line)
        guard lines.count == 3 else { return }
        // File order, each at the offending key or value.
        XCTAssertTrue(lines[0].hasPrefix("\(path):9:15: "), lines[0], file: file, line: line)
        XCTAssertTrue(lines[0].contains("upstream \"nowhere\" is not defined"), lines[0], file: file, line: line)
        XCTAssertTrue(lines[1].hasPrefix("\(path):10:16: "), lines[1], file: file, line: line)
        XCTAssertTrue(lines[1].contains("unknown duration unit \"parsecs\""), lines[1], file: file, line: line)
        XCTAssertTrue(lines[2].hasPrefix("\(path):11:1: "), lines[2], file: file, line: line)
        XCTAssertTrue(lines[2].contains("unknown key \"acess_log\""), lines[2], file: file, line: line)
    }

    func testCheckPrintsOkAndExitsZeroForTheSeedGatewayExample() throws {
        let example = PylonBinary.packageRoot().appendingPathComponent("examples/seed-gateway.yaml").path
        let result = try runPylonToExit(["check", "-c", example])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(result.stdout, "ok\n")
        XCTAssertEqual(result.stderr, "")
    }

    func testCheckReportsUnknownKeyBadDurationAndUnknownUpstreamEachAtItsLineAndColumn() throws {
        let path = try writeConfig(brokenConfig(port: 6191), named: "broken.yaml")
        let result = try runPylonToExit(["check", "-c", path])
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.stdout, "", "nothing on stdout, and certainly not ok")
        assertReportsEveryProblemOfTheBrokenConfig(result.stderr, path: path)
    }

    func testCheckOfAMissingFileExitsOneNamingTheFile() throws {
        let path = "\(try testDirectory())/does-not-exist.yaml"
        let result = try runPylonToExit(["check", "-c", path])
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "\(path): cannot read the config file: no such file\n")
    }

    func testRunWithABadConfigExitsOneWithTheCheckErrorsAndServesNothing() throws {
        let port = try freePort()
        let path = try writeConfig(brokenConfig(port: port), named: "broken.yaml")
        let check = try runPylonToExit(["check", "-c", path])

        let run = try startPylon(["run", "-c", path])
        // It must not be listening even for a moment before giving up.
        var everAccepted = false
        waitUntil(timeout: 5, pollInterval: 0.005) {
            if !isRefusingConnections(port: port) { everAccepted = true }
            return !run.isRunning
        }
        XCTAssertEqual(run.waitForExit(timeout: 5), 1)
        XCTAssertFalse(everAccepted, "pylon run accepted connections with an invalid config")
        XCTAssertTrue(isRefusingConnections(port: port))
        XCTAssertEqual(run.stdoutText(), "")
        assertReportsEveryProblemOfTheBrokenConfig(run.stderrText(), path: path)
        XCTAssertEqual(run.stderrText(), check.stderr, "run and check must report the same problems")
    }

    func testRunOfAMissingFileExitsOne() throws {
        let path = "\(try testDirectory())/does-not-exist.yaml"
        let result = try runPylonToExit(["run", "-c", path])
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.stderr, "\(path): cannot read the config file: no such file\n")
    }
}
