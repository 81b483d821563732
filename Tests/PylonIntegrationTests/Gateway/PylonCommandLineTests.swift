import Foundation
import XCTest

/// The command-line surface: `--help` lists the subcommands, `version` prints one, and
/// `run --help` documents the signals.
final class PylonCommandLineTests: GatewayTestCase {
    func testHelpListsRunCheckDemoAndVersion() throws {
        let result = try runPylonToExit(["--help"])
        XCTAssertEqual(result.code, 0, result.stderr)
        let help = result.stdout + result.stderr
        XCTAssertTrue(help.contains("SUBCOMMANDS:"), help)
        for subcommand in ["run", "check", "demo", "version"] {
            XCTAssertNotNil(
                help.range(of: #"(?m)^\s+\#(subcommand)\s"#, options: .regularExpression),
                "--help does not list \(subcommand):\n\(help)"
            )
        }
    }

    func testVersionPrintsASemanticVersion() throws {
        let result = try runPylonToExit(["version"])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertNotNil(
            result.stdout.range(of: #"^pylon \d+\.\d+\.\d+\S*\n$"#, options: .regularExpression),
            result.stdout.debugDescription
        )
    }

    func testRunHelpMentionsSIGQUITAndSIGTERM() throws {
        let result = try runPylonToExit(["run", "--help"])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("SIGQUIT"), result.stdout)
        XCTAssertTrue(result.stdout.contains("SIGTERM"), result.stdout)
        XCTAssertTrue(result.stdout.contains("--config"), result.stdout)
    }

    func testUnknownSubcommandFails() throws {
        let result = try runPylonToExit(["frobnicate"])
        XCTAssertNotEqual(result.code, 0)
        XCTAssertFalse(result.stderr.isEmpty)
    }
}
