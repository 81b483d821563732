import Foundation
import XCTest

/// The command-line surface: `--help` lists the subcommands, `version` prints one,
/// `run --help` documents the signals, and every help text reads as wrapped prose.
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

    /// A line break written into a discussion, on top of the wrapping ArgumentParser does at
    /// the terminal's width, leaves a word or two stranded on a line of its own in the middle
    /// of a sentence ("…taken from systemd socket / activation) and…" became "socket" alone).
    func testHelpTextsHaveNoWordsStrandedMidSentence() throws {
        for command in [["--help"], ["run", "--help"], ["check", "--help"], ["demo", "--help"],
                        ["reload", "--help"], ["hash-password", "--help"]] {
            let result = try runPylonToExit(command)
            XCTAssertEqual(result.code, 0, result.stderr)
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            for index in lines.indices.dropFirst().dropLast() {
                let line = lines[index]
                let words = line.split(separator: " ")
                // A word or two, under a full line: a long token wrapped by itself is longer.
                guard !words.isEmpty, words.count <= 2, words.joined(separator: " ").count <= 20,
                      lines[index - 1].count >= 60 else { continue }
                let next = lines[index + 1]
                let indent = line.prefix { $0 == " " }.count
                let continues = !next.isEmpty && next.prefix { $0 == " " }.count == indent
                XCTAssertFalse(continues, "`pylon \(command.joined(separator: " "))`: \"\(line)\" is stranded:\n\(result.stdout)")
            }
        }
    }

    func testUnknownSubcommandFails() throws {
        let result = try runPylonToExit(["frobnicate"])
        XCTAssertNotEqual(result.code, 0)
        XCTAssertFalse(result.stderr.isEmpty)
    }
}
