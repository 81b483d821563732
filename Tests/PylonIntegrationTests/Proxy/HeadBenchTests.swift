import Foundation
import XCTest

/// `head-bench` (run by `scripts/bench --heads`) is built with pylon and runs every step
/// on both of its exchanges, and each exchange whole through the framework: a parser,
/// writer or handler change that made one of them fail would otherwise show only when
/// someone next measured. Nothing here looks at the timings.
final class HeadBenchTests: IntegrationTestCase {
    func testHeadBenchRunsEveryStepOfBothExchanges() throws {
        let headBench = try PylonBinary.sibling("head-bench")
        let output = "\(try testDirectory())/head-bench.out"
        let child = try ChildProcess.spawn(executable: headBench, arguments: ["50"], stdoutPath: output, stderrPath: output)
        janitor.track(child)
        XCTAssertEqual(child.waitForExit(timeout: 60), .exited(0))
        let text = try String(contentsOfFile: output, encoding: .utf8)
        for exchange in ["wrk → nginx", "browser"] {
            XCTAssertTrue(text.contains("\n\(exchange)\n"), "no \(exchange) section in:\n\(text)")
        }
        for step in [
            "read the request head", "make the upstream head", "write the upstream head", "read the response",
            "write the response head", "all heads", "whole exchange", "bytes relayed",
        ] {
            let rows = text.split(separator: "\n").filter { $0.hasPrefix("  \(step) ") }
            XCTAssertEqual(rows.count, 2, "\(step): \(rows)")
            for row in rows {
                XCTAssertNotNil(row.split(separator: " ").last.flatMap { Int($0) }, "no number in '\(row)'")
            }
        }
    }
}
