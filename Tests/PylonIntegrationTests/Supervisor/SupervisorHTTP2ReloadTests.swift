import Foundation
import NIOConcurrencyHelpers
import XCTest

/// HTTP/2 clients across upgrades under the master: h2load runs back to back while the
/// gateway is reloaded, and no stream that reached the gateway fails. Old workers end their
/// connections with GOAWAY; h2load then sends no more streams on them (it does not
/// reconnect) and reports those it had left as errored.
final class SupervisorHTTP2ReloadTests: SupervisorTestCase {
    func testH2LoadAcrossReloadsLosesNoStartedStream() throws {
        let backend = try startBackend()
        let authority = try TestCertificateAuthority(commonName: "Pylon Test CA", in: try testDirectory())
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        let port = try freePort()
        let metricsPort = try freePort()
        let config = try writeConfig(
            """
            drain_timeout: 10s
            listeners:
              - name: https
                address: "127.0.0.1:\(port)"
                tls: {certificates: [{cert: a.pem, key: a.key}]}
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
            config: config, port: port, metricsPort: metricsPort, workers: 2, environment: ["PYLON_LOG_LEVEL": "debug"]
        )
        let process = gateway.process

        let reloads = NIOLockedValueBox<[Int32]>([])
        Thread.detachNewThread {
            for _ in 0..<3 {
                Thread.sleep(forTimeInterval: 1)
                let code = (try? gateway.reload().code) ?? -1
                reloads.withLockedValue { $0.append(code) }
            }
        }
        var runs: [H2LoadResult] = []
        while reloads.withLockedValue({ $0.count }) < 3 || runs.count < 2 {
            runs.append(try runH2Load(["-n", "2000", "-c", "4", "-m", "10", "https://127.0.0.1:\(port)/"]))
            XCTAssertLessThan(runs.count, 200, "the reloads never finished")
            if runs.count >= 200 { break }
        }

        XCTAssertEqual(reloads.withLockedValue { $0 }, [0, 0, 0])
        XCTAssertTrue(gateway.waitForGeneration(4))
        for run in runs { assertNoStreamLost(run, total: 2000) }
        let succeeded = runs.reduce(0) { $0 + $1.succeeded }
        print("[h2load across 3 reloads] \(runs.count) runs, \(succeeded) streams succeeded, \(runs.filter { $0.started < 2000 }.count) runs cut short by a GOAWAY")
        XCTAssertGreaterThan(succeeded, 2000)
        // Every request that reached a worker was answered in full, and nio-http2 refused none.
        XCTAssertEqual(backend.receivedRequests.count, succeeded)
        XCTAssertFalse(process.settledStderrText().contains("HTTP/2 stream error"), process.logTail())
    }
}
