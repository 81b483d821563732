import Foundation
import XCTest

/// Session tickets open on every worker and after an upgrade: the ticket keys come from a
/// secret in the service's shared memory, not from each process's own BoringSSL context.
final class TLSSessionResumptionTests: SupervisorTestCase {
    /// A master with `workers` workers and an HTTPS listener for `site.test`, with its files
    /// in a directory of its own.
    private func startTLSMaster(workers: Int) throws -> SupervisedGateway {
        let directory = try makeTempDirectory()
        let backend = try startBackend()
        let authority = try TestCertificateAuthority(commonName: "Pylon Test CA", in: directory)
        _ = try authority.issue(commonName: "site.test", dnsNames: ["site.test"], fileName: "site")
        let port = try freePort()
        let metricsPort = try freePort()
        let config = "\(directory)/pylon.yaml"
        try Data(
            """
            drain_timeout: 5s
            listeners:
              - name: https
                address: "127.0.0.1:\(port)"
                tls: {certificates: [{cert: site.pem, key: site.key}]}
            metrics: {address: "127.0.0.1:\(metricsPort)"}
            access_log: {enabled: false}
            upstreams:
              default: {targets: ["\(backend.address)"]}
            routes:
              - {path_prefix: /, upstream: default}

            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        return try startSupervised(
            config: config, port: port, metricsPort: metricsPort, workers: workers, controlSocket: "\(directory)/control.sock"
        )
    }

    /// A full handshake whose session is saved to a new file; returns the file.
    private func saveSession(
        port: Int, version: TLSResumptionProbe.Version, file: StaticString = #filePath, line: UInt = #line
    ) throws -> String {
        let path = "\(try testDirectory())/session-\(UUID().uuidString).pem"
        let first = try TLSResumptionProbe.request(port: port, serverName: "site.test", version: version, sessionOut: path)
        XCTAssertEqual(first.exitCode, 0, first.output, file: file, line: line)
        XCTAssertEqual(first.statusLine, "HTTP/1.1 200 OK", first.output, file: file, line: line)
        XCTAssertFalse(first.resumed, "nothing to resume yet: \(first.summary ?? first.output)", file: file, line: line)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "s_client saved the session", file: file, line: line)
        return path
    }

    private func assertResumes(
        port: Int, version: TLSResumptionProbe.Version, session: String, _ message: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let probe = try TLSResumptionProbe.request(port: port, serverName: "site.test", version: version, sessionIn: session)
        XCTAssertEqual(probe.exitCode, 0, probe.output, file: file, line: line)
        XCTAssertEqual(probe.statusLine, "HTTP/1.1 200 OK", probe.output, file: file, line: line)
        XCTAssertTrue(probe.resumed, "\(message): \(probe.summary ?? probe.output)", file: file, line: line)
    }

    func testASavedSessionResumesOnEveryFurtherConnectionToAMasterWithTwoWorkers() throws {
        let gateway = try startTLSMaster(workers: 2)
        XCTAssertEqual(gateway.workers.count, 2)
        let session = try saveSession(port: gateway.port, version: .tls13)
        // The workers share one listening socket: the connections land on either of them.
        for attempt in 1...10 {
            try assertResumes(port: gateway.port, version: .tls13, session: session, "connection \(attempt)")
        }
    }

    func testATLS13SessionFromBeforeAReloadResumesAfterIt() throws {
        try assertSessionSurvivesAReload(version: .tls13)
    }

    func testATLS12SessionFromBeforeAReloadResumesAfterIt() throws {
        try assertSessionSurvivesAReload(version: .tls12)
    }

    /// After the reload every connection is served by a new worker process, with a new
    /// BoringSSL context: only keys derived from the shared secret can open the old ticket.
    private func assertSessionSurvivesAReload(
        version: TLSResumptionProbe.Version, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let gateway = try startTLSMaster(workers: 1)
        let oldWorkers = Set(gateway.workers)
        let session = try saveSession(port: gateway.port, version: version, file: file, line: line)
        try assertResumes(port: gateway.port, version: version, session: session, "before the reload", file: file, line: line)

        let reload = try gateway.reload()
        XCTAssertEqual(reload.code, 0, reload.output, file: file, line: line)
        XCTAssertTrue(gateway.waitForGeneration(2), file: file, line: line)
        // The old worker stops accepting as soon as it drains; wait until it is gone, so no
        // connection below can reach it.
        XCTAssertTrue(
            waitUntil(timeout: 15) { oldWorkers.allSatisfy { !ProcFS.isAlive($0) } }, "generation 1 exited", file: file, line: line
        )
        XCTAssertTrue(Set(gateway.workers).isDisjoint(with: oldWorkers), file: file, line: line)
        for attempt in 1...3 {
            try assertResumes(
                port: gateway.port, version: version, session: session, "after the reload, connection \(attempt)",
                file: file, line: line
            )
        }
    }

    func testASessionIsNotResumedByAnotherService() throws {
        // Two masters, two shared segments, two secrets: the probe tells a refused ticket
        // from an accepted one.
        let first = try startTLSMaster(workers: 1)
        let session = try saveSession(port: first.port, version: .tls13)
        try assertResumes(port: first.port, version: .tls13, session: session, "by the service that issued it")
        let second = try startTLSMaster(workers: 1)
        let probe = try TLSResumptionProbe.request(port: second.port, serverName: "site.test", version: .tls13, sessionIn: session)
        XCTAssertEqual(probe.statusLine, "HTTP/1.1 200 OK", probe.output)
        XCTAssertEqual(probe.summary?.hasPrefix("New,"), true, probe.summary ?? probe.output)
    }
}
