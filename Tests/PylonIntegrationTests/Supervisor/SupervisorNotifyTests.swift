import Foundation
import Glibc
import XCTest

/// sd_notify: the exact sequence, MAINPID stable, STATUS always (issue item 7).
final class SupervisorNotifyTests: SupervisorTestCase {
    func testNotifySequenceAcrossAnUpgradeAndAStop() throws {
        let backend = try startBackend()
        let notify = try NotifySocket(directory: try makeTempDirectory())
        let gateway = try startSupervised(workers: 2, backend: backend, environment: notify.environment)
        try notify.waitForMessage(containing: "READY=1")
        let reload = try gateway.reload()
        XCTAssertEqual(reload.code, 0, reload.output)
        XCTAssertTrue(reload.output.contains("ok generation 2"), reload.output)
        XCTAssertTrue(gateway.waitForGeneration(2))
        gateway.process.signal(SIGQUIT)
        XCTAssertEqual(gateway.process.waitForExit(timeout: 10), 0)
        notify.receive(timeout: 0.2)

        // Every datagram carries a STATUS= line.
        for message in notify.messages {
            XCTAssertTrue(message.contains("STATUS="), "no STATUS in \(message.debugDescription)")
        }
        // The state changes, in order (STATUS-only updates in between are fine).
        let states = notify.messages.compactMap { message -> String? in
            for state in ["READY=1", "RELOADING=1", "STOPPING=1"] where message.split(separator: "\n").contains(Substring(state)) {
                return state
            }
            return nil
        }
        XCTAssertEqual(states, ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"], "\(notify.messages)")
        let reloading = try XCTUnwrap(notify.messages.first { $0.contains("RELOADING=1") })
        XCTAssertTrue(reloading.contains("MONOTONIC_USEC="), reloading)
        // MAINPID, wherever sent, is the master's pid: it never changes.
        let mainPIDs = Set(notify.messages.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("MAINPID=") })
        XCTAssertEqual(mainPIDs, ["MAINPID=\(gateway.pid)"])
        let ready = notify.messages.filter { $0.contains("READY=1") }
        XCTAssertTrue(ready.last?.contains("generation 2") ?? false, "\(ready)")
        XCTAssertTrue(ready.last?.contains("last reload: ok") ?? false, "\(ready)")
    }
}
