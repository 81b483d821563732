import Foundation
import Glibc
import XCTest

/// Proves `ProcFS` and `NotifySocket`.
final class ObservationSelfTests: IntegrationTestCase {
    func testProcFSSeesTreeGroupAndDescriptors() throws {
        let parent = try startProcess(executable: "/bin/sh", arguments: ["-c", "sleep 30 & sleep 30 & echo started; wait"])
        try parent.waitForLog(containing: "started")
        XCTAssertTrue(waitUntil(timeout: 5) { ProcFS.children(of: parent.pid).count == 2 })
        XCTAssertEqual(Set(ProcFS.descendants(of: parent.pid)), Set(ProcFS.children(of: parent.pid)))
        XCTAssertEqual(Set(ProcFS.processes(inGroup: parent.pid)), Set([parent.pid] + ProcFS.children(of: parent.pid)))
        XCTAssertEqual(ProcFS.stat(of: parent.pid)?.parentPID, getpid())
        XCTAssertEqual(ProcFS.stat(of: parent.pid)?.command, "sh")
        let fds = ProcFS.openFileDescriptors(of: parent.pid)
        XCTAssertEqual(fds[0], "/dev/null")
        XCTAssertEqual(fds[1], parent.stdoutPath)
        let children = ProcFS.children(of: parent.pid)
        // SIGTERM to the shell alone orphans its background children: exactly what an
        // orphan assertion must catch. They are still in the group, so the janitor kills them.
        parent.terminate()
        XCTAssertEqual(Set(ProcFS.processes(inGroup: parent.pid)), Set(children))
        janitor.cleanUp()
        XCTAssertTrue(waitUntil(timeout: 5) { ProcFS.processes(inGroup: parent.pid).isEmpty })
        XCTAssertTrue(children.allSatisfy { !ProcFS.isAlive($0) })
    }

    func testNotifySocketReceivesDatagrams() throws {
        let notify = try NotifySocket(directory: try testDirectory())
        let script = "import os, socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b'STATUS=starting', os.environ['NOTIFY_SOCKET']); s.sendto(b'READY=1\\nMAINPID=%d' % os.getpid(), os.environ['NOTIFY_SOCKET'])"
        let child = try startProcess(executable: "python3", arguments: ["-c", script], environment: notify.environment)
        try notify.waitForMessage(containing: "READY=1", timeout: 10)
        XCTAssertEqual(child.waitForExit(timeout: 5), 0)
        XCTAssertEqual(notify.messages.first, "STATUS=starting")
        XCTAssertEqual(notify.messages.last, "READY=1\nMAINPID=\(child.pid)")
        XCTAssertThrowsError(try notify.waitForMessage(containing: "STOPPING=1", timeout: 0.2))
    }
}
