import Foundation
import Glibc
import XCTest

/// The lines a worker logs on its event loops (an upstream refusing logs one per request)
/// are written to stderr by a thread of their own. Under systemd stderr is a pipe to
/// journald, and a loop that wrote to it itself would stop serving whenever journald fell
/// behind and the pipe filled.
final class DiagnosticLogTests: IntegrationTestCase {
    func testRequestsWhoseFailuresAreLoggedAreAnsweredWhileStderrIsAFullPipe() throws {
        let directory = try testDirectory()
        // stderr is a FIFO this test opens and never reads until the end: after about 64 KiB
        // of lines, a write to it blocks.
        let fifo = "\(directory)/stderr.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0, "mkfifo: \(errno)")
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(readEnd, 0, "open: \(errno)")
        defer { close(readEnd) }

        let port = try freePort()
        let refusing = try freePort()
        let config = try writeConfig("""
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}
            upstreams:
              refusing: {targets: ["127.0.0.1:\(refusing)"], retries: 0}
            routes:
              - {path_prefix: /, upstream: refusing}
            access_log: {enabled: false}
            """)
        let pylon = try ChildProcess.spawn(
            executable: PylonBinary.path(), arguments: ["run", "-c", config, "--single-process", "--workers", "1"],
            stdoutPath: "\(directory)/pylon.stdout", stderrPath: fifo
        )
        janitor.track(pylon)
        defer { _ = pylon.kill() }  // SIGTERM's "stopping" line would wait for the full pipe
        XCTAssertTrue(waitUntil(timeout: 10) { (try? Curl.run("http://127.0.0.1:\(port)/", maxTime: 1).status) == 502 })

        // 2000 requests on one connection, each logging a warning of about 200 bytes: some
        // 400 KB, six times what the pipe holds.
        let requests = 2000
        let codesFile = "\(directory)/codes"
        let curl = try ChildProcess.spawn(
            executable: Curl.executable,
            arguments: ["-s", "--noproxy", "*", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}\\n",
                        "http://127.0.0.1:\(port)/[1-\(requests)]"],
            stdoutPath: codesFile
        )
        janitor.track(curl)
        XCTAssertNotNil(curl.waitForExit(timeout: 60), "curl still waiting for answers after a minute")
        let codes = try String(contentsOfFile: codesFile, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(codes.count, requests, "answered before curl gave up: \(codes.count)")
        XCTAssertEqual(codes.filter { $0 == "502" }.count, requests, "\(Set(codes))")

        // The lines were queued, not lost: the pipe holds the first of them.
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = read(readEnd, &buffer, buffer.count)
        XCTAssertGreaterThan(count, 0)
        XCTAssertTrue(String(decoding: buffer[..<max(count, 0)], as: UTF8.self).contains("upstream connect failed"))
    }
}
