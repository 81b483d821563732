import Foundation
import XCTest

/// What one `nghttp -v` run printed: the frames it sent (one field per line under each
/// HEADERS frame), the fields it received (one line each) and the response bodies.
struct NGHTTPResult: CustomStringConvertible {
    var exitCode: Int32?
    var output: String

    /// The fields of the HEADERS frames nghttp sent, as `name: value`, in order.
    var sentFields: [String] {
        var fields: [String] = []
        var inSentHeaders = false
        for line in self.output.split(separator: "\n") {
            if line.hasPrefix("[") {
                inSentHeaders = line.contains("send HEADERS frame")
                continue
            }
            let text = line.trimmingCharacters(in: .whitespaces)
            // Under a frame: `;` and `(` lines describe it, the rest are its fields.
            if inSentHeaders, !text.hasPrefix(";"), !text.hasPrefix("(") { fields.append(text) }
        }
        return fields
    }

    /// The response fields nghttp received, as `name: value`, every stream's in order.
    var receivedFields: [String] {
        self.output.split(separator: "\n").compactMap { line in
            // `[  0.004] recv (stream_id=13) x-request-id: abc`
            guard let marker = line.range(of: "] recv (stream_id="), let close = line[marker.upperBound...].firstIndex(of: ")") else {
                return nil
            }
            return String(line[line.index(after: close)...].drop { $0 == " " })
        }
    }

    var description: String { self.output }
}

extension IntegrationTestCase {
    /// Runs `/usr/bin/nghttp -v` (from nghttp2-client, as h2load) with `arguments` to
    /// completion, at most `timeout` seconds. It does not verify certificates, so any HTTPS
    /// listener will do, and unlike curl it sends repeated fields as they were given.
    func runNGHTTP(_ arguments: [String], timeout: Double = 20) throws -> NGHTTPResult {
        let process = try startProcess(executable: "/usr/bin/nghttp", arguments: ["-v"] + arguments, label: "nghttp")
        let code = process.waitForExit(timeout: timeout)
        return NGHTTPResult(exitCode: code, output: process.stdoutText() + process.stderrText())
    }
}
