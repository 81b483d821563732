import Foundation
import NIOConcurrencyHelpers
import XCTest

/// Certificates are read when a generation starts: after `pylon reload` new connections get
/// the new certificate, and no handshake fails during the switch. A certificate or key that
/// does not load fails the reload and leaves the old generation serving.
final class TLSCertificateReloadTests: SupervisorTestCase {
    private struct Setup {
        let gateway: SupervisedGateway
        let authority: TestCertificateAuthority
        let certificatePath: String
        let keyPath: String
    }

    /// A master with two workers and an HTTPS listener serving `site.pem`/`site.key`, which
    /// start out as the certificate "Pylon A" for `site.test`.
    private func startTLSMaster(backend: TestBackend) throws -> Setup {
        let directory = try testDirectory()
        let authority = try TestCertificateAuthority(commonName: "Pylon Test CA", in: directory)
        let first = try authority.issue(commonName: "Pylon A", dnsNames: ["site.test"], fileName: "a")
        let certificatePath = "\(directory)/site.pem"
        let keyPath = "\(directory)/site.key"
        try Self.install(first, certificatePath: certificatePath, keyPath: keyPath)
        let port = try freePort()
        let metricsPort = try freePort()
        let config = try writeConfig(
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

            """,
            named: "pylon.yaml"
        )
        let gateway = try startSupervised(
            config: config, port: port, metricsPort: metricsPort, workers: 2, controlSocket: "\(directory)/control.sock"
        )
        return Setup(gateway: gateway, authority: authority, certificatePath: certificatePath, keyPath: keyPath)
    }

    /// Puts `issued` in place of the served files, each with one atomic rename.
    private static func install(_ issued: TestCertificateAuthority.Issued, certificatePath: String, keyPath: String) throws {
        for (source, target) in [(issued.certificatePath, certificatePath), (issued.keyPath, keyPath)] {
            let staging = target + ".new"
            try? FileManager.default.removeItem(atPath: staging)
            try FileManager.default.copyItem(atPath: source, toPath: staging)
            guard rename(staging, target) == 0 else { throw LoopbackSocketError.system("rename", errno) }
        }
    }

    private func servedCommonName(_ setup: Setup) throws -> String? {
        try TLSClientProbe.handshake(port: setup.gateway.port, serverName: "site.test").serverCommonName
    }

    func testAfterAReloadTheNewCertificateIsServedWithoutAFailedHandshake() throws {
        let backend = try startBackend()
        let setup = try startTLSMaster(backend: backend)
        XCTAssertEqual(try servedCommonName(setup), "Pylon A")

        // Three clients handshaking back to back, so handshakes are in flight at every moment
        // of the switch, on both generations.
        let loop = HandshakeLoop(port: setup.gateway.port, host: "site.test", caFile: setup.authority.certificatePath, clients: 3)
        loop.start()
        XCTAssertTrue(waitUntil(timeout: 10) { loop.totals.succeeded >= 6 }, "the loop runs before the reload: \(loop.totals)")
        let second = try setup.authority.issue(commonName: "Pylon B", dnsNames: ["site.test"], fileName: "b")
        try Self.install(second, certificatePath: setup.certificatePath, keyPath: setup.keyPath)
        let beforeReload = loop.totals.succeeded
        let reload = try setup.gateway.reload()
        let duringReload = loop.totals.succeeded - beforeReload
        XCTAssertEqual(reload.code, 0, reload.output)
        XCTAssertTrue(setup.gateway.waitForGeneration(2))
        // Keep handshaking while generation 1 drains.
        let afterSwitch = loop.totals.succeeded
        XCTAssertTrue(waitUntil(timeout: 10) { loop.totals.succeeded >= afterSwitch + 15 }, "\(loop.totals)")
        let totals = loop.stop()

        XCTAssertEqual(
            totals.failed, 0,
            "failed handshakes or requests (\(duringReload) succeeded during the reload): \(totals.failures)"
        )
        XCTAssertGreaterThan(totals.succeeded, 20)
        for _ in 0..<5 {
            XCTAssertEqual(try servedCommonName(setup), "Pylon B", "every new connection gets the new certificate")
        }
    }

    func testACertificateThatDoesNotLoadFailsTheReloadAndTheOldOneIsStillServed() throws {
        let backend = try startBackend()
        let setup = try startTLSMaster(backend: backend)
        let workers = Set(setup.gateway.workers)
        // A key that is not the certificate's.
        let stranger = try setup.authority.issue(commonName: "Pylon Stranger", dnsNames: ["site.test"], fileName: "stranger")
        let goodKey = try Data(contentsOf: URL(fileURLWithPath: setup.keyPath))
        try FileManager.default.removeItem(atPath: setup.keyPath)
        try FileManager.default.copyItem(atPath: stranger.keyPath, toPath: setup.keyPath)

        let reload = try setup.gateway.reload()
        XCTAssertNotEqual(reload.code, 0, reload.output)
        XCTAssertTrue(reload.output.contains("pylon.yaml:5:"), reload.output)
        XCTAssertTrue(reload.output.contains("does not belong to the certificate"), reload.output)
        XCTAssertEqual(Set(setup.gateway.workers), workers, "generation 1 untouched")
        XCTAssertEqual(setup.gateway.servingGeneration(), 1)
        XCTAssertEqual(try servedCommonName(setup), "Pylon A")
        let result = try Curl.run(
            "https://site.test:\(setup.gateway.port)/",
            extraArguments: ["--cacert", setup.authority.certificatePath, "--resolve", "site.test:\(setup.gateway.port):127.0.0.1"]
        )
        XCTAssertEqual(result.status, 200, "\(result)")

        // With the key put back, the next reload works.
        try goodKey.write(to: URL(fileURLWithPath: setup.keyPath))
        XCTAssertEqual(try setup.gateway.reload().code, 0)
    }
}

/// Full HTTPS requests (a fresh TLS handshake each, verified with the test CA) in a loop on
/// background threads, one per client, counting what succeeded and what failed, until stopped.
final class HandshakeLoop: Sendable {
    struct Totals: CustomStringConvertible {
        var succeeded = 0
        var failed = 0
        var failures: [String] = []
        var description: String { "\(succeeded) succeeded, \(failed) failed" }
    }

    private let port: Int
    private let host: String
    private let caFile: String
    private let clients: Int
    private let state = NIOLockedValueBox((totals: Totals(), stopping: false, finished: 0))

    init(port: Int, host: String, caFile: String, clients: Int = 1) {
        self.port = port
        self.host = host
        self.caFile = caFile
        self.clients = clients
    }

    var totals: Totals { self.state.withLockedValue { $0.totals } }

    func start() {
        for _ in 0..<self.clients { self.startClient() }
    }

    private func startClient() {
        Thread.detachNewThread { [self] in
            while !self.state.withLockedValue({ $0.stopping }) {
                let result = try? Curl.run(
                    "https://\(self.host):\(self.port)/", maxTime: 10,
                    extraArguments: ["--cacert", self.caFile, "--resolve", "\(self.host):\(self.port):127.0.0.1"]
                )
                self.state.withLockedValue { state in
                    if let result, result.exitCode == 0, result.status == 200 {
                        state.totals.succeeded += 1
                    } else {
                        state.totals.failed += 1
                        state.totals.failures.append(result.map { "\($0)" } ?? "curl did not run")
                    }
                }
            }
            self.state.withLockedValue { $0.finished += 1 }
        }
    }

    /// Stops the loop, waits for the clients' last requests, and returns the totals.
    func stop() -> Totals {
        self.state.withLockedValue { $0.stopping = true }
        waitUntil(timeout: 15) { self.state.withLockedValue { $0.finished == self.clients } }
        return self.totals
    }
}
