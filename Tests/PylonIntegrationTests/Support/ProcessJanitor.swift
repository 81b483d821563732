import Glibc
import NIOConcurrencyHelpers

/// Remembers every child a test started and makes sure none outlives the test.
///
/// `cleanUp()` SIGTERMs all live children at once (so N processes cost one grace period, not
/// N), SIGKILLs the process group of any that did not exit, and reaps everything. It also
/// SIGKILLs the group of children that had already exited: a pylon master that crashed can
/// leave workers behind, and they are still in its group.
final class ProcessJanitor: Sendable {
    private let children = NIOLockedValueBox<[ChildProcess]>([])

    func track(_ child: ChildProcess) {
        children.withLockedValue { $0.append(child) }
    }

    func track(_ process: PylonProcess) { track(process.child) }

    /// Processes still running now.
    var running: [ChildProcess] { children.withLockedValue { $0 }.filter(\.isRunning) }

    /// Kills and reaps everything tracked. Returns descriptions of children that ignored
    /// SIGTERM for `gracePeriod` seconds and had to be SIGKILLed (callers may report them).
    @discardableResult
    func cleanUp(gracePeriod: Double = 3) -> [String] {
        let all = children.withLockedValue { tracked in
            defer { tracked.removeAll() }
            return tracked
        }
        let live = all.filter(\.isRunning)
        for child in live { child.signal(SIGTERM) }
        waitUntil(timeout: gracePeriod, pollInterval: 0.01) { live.allSatisfy { !$0.isRunning } }
        var killed: [String] = []
        for child in live where child.isRunning {
            killed.append(child.description)
            child.kill()
        }
        for child in all { child.signalGroup(SIGKILL) }
        return killed
    }
}
