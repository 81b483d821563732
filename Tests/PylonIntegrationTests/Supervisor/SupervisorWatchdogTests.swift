import Foundation
import Glibc
import XCTest

/// systemd's watchdog (`WatchdogSec=`): the master pings at half the interval it was given,
/// before and after an upgrade re-executes it, and only the master does.
final class SupervisorWatchdogTests: SupervisorTestCase {
    /// The number of `WATCHDOG=1` datagrams received in `seconds`.
    private func countPings(_ notify: NotifySocket, during seconds: Double) -> Int {
        let before = notify.messages.count
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { notify.receive(timeout: 0.05) }
        return notify.messages[before...].filter { $0.split(separator: "\n").contains("WATCHDOG=1") }.count
    }

    func testMasterPingsTheWatchdogAtHalfItsIntervalAcrossAnUpgrade() throws {
        let backend = try startBackend()
        let notify = try NotifySocket(directory: try makeTempDirectory())
        // 400 ms: pings every 200 ms. Only the count's lower bound is asserted, so a slow
        // machine cannot fail this; a master that never pings, or stops after re-exec, does.
        var environment = notify.environment
        environment["WATCHDOG_USEC"] = "400000"
        let gateway = try startSupervised(workers: 1, backend: backend, environment: environment)
        try notify.waitForMessage(containing: "READY=1")
        XCTAssertGreaterThanOrEqual(self.countPings(notify, during: 1.5), 3, "\(notify.messages)")

        let reload = try gateway.reload()
        XCTAssertEqual(reload.code, 0, reload.output)
        XCTAssertTrue(gateway.waitForGeneration(2))
        XCTAssertGreaterThanOrEqual(self.countPings(notify, during: 1.5), 3, "no pings after the re-exec: \(notify.messages.suffix(5))")
        gateway.process.signal(SIGQUIT)
        XCTAssertEqual(gateway.process.waitForExit(timeout: 10), 0)
    }

    func testWatchdogMeantForAnotherProcessIsIgnored() throws {
        let backend = try startBackend()
        let notify = try NotifySocket(directory: try makeTempDirectory())
        var environment = notify.environment
        environment["WATCHDOG_USEC"] = "200000"
        // sd_watchdog_enabled: the interval applies only to the pid WATCHDOG_PID names.
        environment["WATCHDOG_PID"] = "1"
        let gateway = try startSupervised(workers: 1, backend: backend, environment: environment)
        try notify.waitForMessage(containing: "READY=1")
        XCTAssertEqual(self.countPings(notify, during: 1.0), 0, "\(notify.messages)")
        gateway.process.signal(SIGQUIT)
        XCTAssertEqual(gateway.process.waitForExit(timeout: 10), 0)
    }
}
