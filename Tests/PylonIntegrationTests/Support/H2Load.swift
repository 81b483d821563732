import Foundation
import XCTest

/// What an `h2load` run reported: its `requests:` and `status codes:` summary lines and the
/// protocol it negotiated.
struct H2LoadResult: CustomStringConvertible {
    var started = 0
    var done = 0
    var succeeded = 0
    var failed = 0
    var errored = 0
    var timedOut = 0
    /// Responses by class: `2xx`, `3xx`, `4xx`, `5xx`.
    var statusClasses: [String: Int] = [:]
    /// `Application protocol:` (`h2`, `http/1.1`), nil when no connection got that far.
    var applicationProtocol: String?
    var output: String

    init(output: String) {
        self.output = output
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("requests:") {
                for part in line.dropFirst("requests:".count).split(separator: ",") {
                    let words = part.split(separator: " ")
                    guard words.count == 2, let count = Int(words[0]) else { continue }
                    switch words[1] {
                    case "started": self.started = count
                    case "done": self.done = count
                    case "succeeded": self.succeeded = count
                    case "failed": self.failed = count
                    case "errored": self.errored = count
                    case "timeout": self.timedOut = count
                    default: break
                    }
                }
            } else if line.hasPrefix("status codes:") {
                for part in line.dropFirst("status codes:".count).split(separator: ",") {
                    let words = part.split(separator: " ")
                    if words.count == 2, let count = Int(words[0]) { self.statusClasses[String(words[1])] = count }
                }
            } else if line.hasPrefix("Application protocol:") {
                self.applicationProtocol = line.dropFirst("Application protocol:".count).trimmingCharacters(in: .whitespaces)
            }
        }
    }

    var description: String { output }
}

extension IntegrationTestCase {
    /// Starts `/usr/bin/h2load` with `arguments`; it does not verify certificates, so any
    /// HTTPS listener will do.
    func startH2Load(_ arguments: [String]) throws -> PylonProcess {
        try startProcess(executable: "/usr/bin/h2load", arguments: arguments, label: "h2load")
    }

    /// A run that a GOAWAY may have cut short lost no stream: every response that came was a
    /// success, and every failure is h2load's own: requests it never sent once the server
    /// said GOAWAY (nghttp2 opens no stream after one; h2load counts those it had queued as
    /// started and failed, the rest as not started).
    func assertNoStreamLost(_ result: H2LoadResult, total: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.applicationProtocol, "h2", "\(result)", file: file, line: line)
        XCTAssertEqual(result.done, result.started, "\(result)", file: file, line: line)
        XCTAssertEqual(result.statusClasses["2xx"] ?? 0, result.succeeded, "\(result)", file: file, line: line)
        XCTAssertEqual(result.statusClasses.values.reduce(0, +), result.succeeded, "only successes answered: \(result)", file: file, line: line)
        XCTAssertEqual(result.errored, total - result.succeeded, "\(result)", file: file, line: line)
        XCTAssertEqual(result.timedOut, 0, "\(result)", file: file, line: line)
    }

    /// Runs h2load to completion (at most `timeout` seconds) and parses its summary.
    func runH2Load(_ arguments: [String], timeout: Double = 60) throws -> H2LoadResult {
        let process = try startH2Load(arguments)
        _ = process.waitForExit(timeout: timeout)
        return H2LoadResult(output: process.stdoutText() + process.stderrText())
    }
}
