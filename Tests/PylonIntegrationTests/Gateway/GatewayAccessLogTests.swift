import Foundation
import XCTest

/// The access log on stdout: one line per request with time, client, method, path, status,
/// bytes, duration_ms, route, upstream, request_id (and error), as logfmt or JSON, or none at all.
final class GatewayAccessLogTests: GatewayTestCase {
    private static let logfmtKeys = ["time", "client", "method", "path", "status", "bytes", "duration_ms", "route", "upstream", "request_id"]

    private func startLoggingGateway(_ accessLog: String, backend: TestBackend, deadPort: Int) throws -> GatewayUnderTest {
        try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
              dead: {targets: ["127.0.0.1:\(deadPort)"], retries: 0}
            routes:
              - path_prefix: /login
                auth: {header: Authorization, equals_secret: password}
                upstream: b
              - {path_prefix: /dead, upstream: dead}
              - {path_prefix: /app, upstream: b}
            access_log: \(accessLog)

            """)
    }

    func testLogfmtHasOneLineWithTheRightFieldsPerRequest() throws {
        let backend = try startBackend(name: "backend")
        let deadPort = try freePort()
        let gateway = try startLoggingGateway("{format: logfmt}", backend: backend, deadPort: deadPort)

        XCTAssertEqual(try gateway.request("/app/page?q=a%20b").status, 200)
        XCTAssertEqual(try gateway.request("/app/bytes/1234", method: "GET").status, 200)
        XCTAssertEqual(try gateway.request("/login").status, 403)
        XCTAssertEqual(try gateway.request("/nowhere").status, 404)
        XCTAssertEqual(try gateway.request("/dead").status, 502)
        XCTAssertEqual(try gateway.request("/app/x", method: "DELETE").status, 200)

        let lines = gateway.waitForAccessLogLines(6)
        XCTAssertEqual(lines.count, 6, "one line per request, nothing else on stdout:\n\(lines.joined(separator: "\n"))")
        guard lines.count == 6 else { return }
        let records = lines.map(LogfmtLine.parse)
        for (line, record) in zip(lines, records) {
            XCTAssertEqual(Array(record.map(\.key).prefix(Self.logfmtKeys.count)), Self.logfmtKeys, line)
            let fields = Dictionary(record, uniquingKeysWith: { first, _ in first })
            XCTAssertNotNil(fields["time"].flatMap { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) }, line)
            XCTAssertEqual(fields["client"], "127.0.0.1", line)
            XCTAssertNotNil(fields["duration_ms"].flatMap { $0.range(of: #"^\d+\.\d{3}$"#, options: .regularExpression) }, line)
        }
        let byPath = records.map { Dictionary($0, uniquingKeysWith: { first, _ in first }) }

        XCTAssertEqual(byPath[0]["method"], "GET")
        XCTAssertEqual(byPath[0]["path"], "/app/page?q=a%20b")
        XCTAssertEqual(byPath[0]["status"], "200")
        XCTAssertEqual(byPath[0]["bytes"], "\("backend\n".utf8.count)")
        XCTAssertEqual(byPath[0]["route"], "/app")
        XCTAssertEqual(byPath[0]["upstream"], backend.address)
        XCTAssertNil(byPath[0]["error"])

        XCTAssertEqual(byPath[1]["path"], "/app/bytes/1234")
        XCTAssertEqual(byPath[1]["bytes"], "1234", "bytes is the response body size")

        XCTAssertEqual(byPath[2]["path"], "/login")
        XCTAssertEqual(byPath[2]["status"], "403")
        XCTAssertEqual(byPath[2]["route"], "/login")
        XCTAssertEqual(byPath[2]["upstream"], "-", "a refused request goes nowhere")

        XCTAssertEqual(byPath[3]["status"], "404")
        XCTAssertEqual(byPath[3]["route"], "none")
        XCTAssertEqual(byPath[3]["upstream"], "-")

        XCTAssertEqual(byPath[4]["status"], "502")
        XCTAssertEqual(byPath[4]["route"], "/dead")
        XCTAssertEqual(byPath[4]["upstream"], "127.0.0.1:\(deadPort)")
        XCTAssertNotNil(byPath[4]["error"], "a failed request says why: \(lines[4])")

        XCTAssertEqual(byPath[5]["method"], "DELETE")
        XCTAssertEqual(byPath[5]["path"], "/app/x")
    }

    func testJSONLinesParseAndCarryStatusBytesAndDurationAsNumbers() throws {
        let backend = try startBackend(name: "backend")
        let gateway = try startLoggingGateway("{format: json}", backend: backend, deadPort: try freePort())

        XCTAssertEqual(try gateway.request("/app/a%22quote?x=\"y\"").status, 200)
        XCTAssertEqual(try gateway.request("/login").status, 403)
        let lines = gateway.waitForAccessLogLines(2)
        XCTAssertEqual(lines.count, 2, lines.joined(separator: "\n"))
        guard lines.count == 2 else { return }

        var objects: [[String: Any]] = []
        for line in lines {
            let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
            objects.append(try XCTUnwrap(parsed as? [String: Any], line))
        }
        for (line, object) in zip(lines, objects) {
            XCTAssertEqual(Set(object.keys), Set(Self.logfmtKeys), line)
            XCTAssertTrue(object["status"] is NSNumber && !(object["status"] is String), "status must be a JSON number: \(line)")
            XCTAssertTrue(object["bytes"] is NSNumber && !(object["bytes"] is String), "bytes must be a JSON number: \(line)")
            XCTAssertTrue(object["duration_ms"] is NSNumber && !(object["duration_ms"] is String), "duration_ms must be a JSON number: \(line)")
            XCTAssertTrue(object["time"] is String, line)
            XCTAssertEqual(object["client"] as? String, "127.0.0.1", line)
        }
        XCTAssertEqual((objects[0]["status"] as? NSNumber)?.intValue, 200)
        XCTAssertEqual((objects[0]["bytes"] as? NSNumber)?.intValue, "backend\n".utf8.count)
        XCTAssertEqual(objects[0]["method"] as? String, "GET")
        XCTAssertEqual(objects[0]["path"] as? String, "/app/a%22quote?x=\"y\"", "quotes in the path must be escaped, not break the JSON")
        XCTAssertEqual(objects[0]["route"] as? String, "/app")
        XCTAssertEqual(objects[0]["upstream"] as? String, backend.address)
        XCTAssertEqual((objects[1]["status"] as? NSNumber)?.intValue, 403)
        XCTAssertEqual(objects[1]["upstream"] as? String, "-")
    }

    func testDisabledAccessLogWritesNothing() throws {
        let backend = try startBackend(name: "backend")
        let gateway = try startLoggingGateway("{enabled: false}", backend: backend, deadPort: try freePort())
        XCTAssertEqual(try gateway.request("/app/1").status, 200)
        XCTAssertEqual(try gateway.request("/login").status, 403)
        XCTAssertEqual(try gateway.request("/none").status, 404)
        // Once the metrics show the three requests were logged, a writer would have had them.
        for route in ["/app", "/login", "none"] {
            try gateway.waitForMetric(#"pylon_request_duration_seconds_count{route="\#(route)"}"#, equals: "1")
        }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(gateway.process.stdoutText(), "")
    }

    func testAccessLogIsOnByDefaultInLogfmt() throws {
        let backend = try startBackend(name: "backend")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              b: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: b}

            """)
        XCTAssertEqual(try gateway.request("/default").status, 200)
        let lines = gateway.waitForAccessLogLines(1)
        XCTAssertEqual(lines.count, 1, lines.joined(separator: "\n"))
        XCTAssertEqual(lines.first.map(LogfmtLine.parse)?.first { $0.key == "path" }?.value, "/default", lines.first ?? "")
        XCTAssertEqual(lines.first?.hasPrefix("time="), true, lines.first ?? "")
    }
}

/// Splits a logfmt line into its key/value pairs, undoing the JSON-style quoting of values.
enum LogfmtLine {
    static func parse(_ line: String) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        var scalars = Substring(line).unicodeScalars
        func skipSpaces() { while scalars.first == " " { scalars.removeFirst() } }
        skipSpaces()
        while !scalars.isEmpty {
            var key = ""
            while let scalar = scalars.first, scalar != "=", scalar != " " {
                key.unicodeScalars.append(scalar)
                scalars.removeFirst()
            }
            guard scalars.first == "=" else {
                pairs.append((key, ""))
                skipSpaces()
                continue
            }
            scalars.removeFirst()
            var value = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let scalar = scalars.first {
                    scalars.removeFirst()
                    if scalar == "\"" { break }
                    if scalar == "\\", let escaped = scalars.first {
                        scalars.removeFirst()
                        switch escaped {
                        case "n": value += "\n"
                        case "r": value += "\r"
                        case "t": value += "\t"
                        case "u":
                            var hex = ""
                            hex.unicodeScalars.append(contentsOf: scalars.prefix(4))
                            scalars.removeFirst(min(4, scalars.count))
                            if let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) { value.unicodeScalars.append(decoded) }
                        default: value.unicodeScalars.append(escaped)
                        }
                    } else {
                        value.unicodeScalars.append(scalar)
                    }
                }
            } else {
                while let scalar = scalars.first, scalar != " " {
                    value.unicodeScalars.append(scalar)
                    scalars.removeFirst()
                }
            }
            pairs.append((key, value))
            skipSpaces()
        }
        return pairs
    }
}
