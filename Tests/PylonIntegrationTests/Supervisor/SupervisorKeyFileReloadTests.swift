import Foundation
import XCTest

/// Key files are read by every new generation: a reload picks up changed keys, and a broken
/// key file fails the reload (`file:line:col` in its output) while the running generation
/// keeps serving with the keys it has.
final class SupervisorKeyFileReloadTests: SupervisorTestCase {
    func testABrokenKeyFileFailsTheReloadAndTheRunningGenerationKeepsItsKeys() throws {
        let backend = try startBackend()
        let port = try freePort()
        let metricsPort = try freePort()
        let directory = try testDirectory()
        let keys = "\(directory)/keys.txt"
        try "ci:first-key-0001\n".write(toFile: keys, atomically: true, encoding: .utf8)
        let config = try writeConfig("""
            drain_timeout: 2s
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}
            metrics: {address: "127.0.0.1:\(metricsPort)"}
            access_log: {enabled: false}
            upstreams:
              default: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: default, auth: {api_key: {keys_file: keys.txt}}}

            """, named: "pylon.yaml")
        let gateway = try startSupervised(
            config: config, port: port, metricsPort: metricsPort, workers: 1, controlSocket: "\(directory)/control.sock"
        )
        func status(key: String) throws -> Int {
            try Curl.run(gateway.url + "/", headers: [("X-API-Key", key)], maxTime: 5).status
        }
        XCTAssertEqual(try status(key: "first-key-0001"), 200)
        XCTAssertEqual(try status(key: "second-key-0002"), 401)

        try "ci:first-key-0001\nbroken line!:x\n".write(toFile: keys, atomically: true, encoding: .utf8)
        let failed = try gateway.reload()
        XCTAssertNotEqual(failed.code, 0, failed.output)
        XCTAssertTrue(failed.output.contains(":9:"), "the problem's place in the config: \(failed.output)")
        XCTAssertTrue(failed.output.contains("keys.txt line 2"), failed.output)
        XCTAssertEqual(gateway.servingGeneration(), 1)
        XCTAssertEqual(try status(key: "first-key-0001"), 200, "generation 1 serves with the keys it read")

        try "ci:second-key-0002\n".write(toFile: keys, atomically: true, encoding: .utf8)
        let fixed = try gateway.reload()
        XCTAssertEqual(fixed.code, 0, fixed.output)
        XCTAssertTrue(gateway.waitForGeneration(2), "generation 2 serves")
        XCTAssertEqual(try status(key: "second-key-0002"), 200, "the new generation read the new key file")
        XCTAssertEqual(try status(key: "first-key-0001"), 401)
    }
}
