import NIOConcurrencyHelpers
import NIOCore

/// The open client connections of one server, so a drain can reach every one of
/// them and know when the last has closed.
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    var count: Int { self.state.withLockedValue { $0.channels.count } }

    func add(_ channel: any Channel) {
        self.state.withLockedValue { $0.channels[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { _ in self.remove(channel) }
    }

    private func remove(_ channel: any Channel) {
        let waiters: [CheckedContinuation<Void, Never>] = self.state.withLockedValue { state in
            state.channels[ObjectIdentifier(channel)] = nil
            guard state.channels.isEmpty else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Every open connection right now.
    var channels: [any Channel] {
        self.state.withLockedValue { Array($0.channels.values) }
    }

    /// Returns once no connection is open.
    func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = self.state.withLockedValue { state -> Bool in
                if state.channels.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
