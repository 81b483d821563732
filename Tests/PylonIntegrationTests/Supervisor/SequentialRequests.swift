import Foundation
import NIOConcurrencyHelpers

/// One client sending `GET /` on a new connection after another, on a thread of its own,
/// counting what came back; it can be paused between two requests, so a test can act
/// (kill a worker) while no request of its own is in flight.
final class SequentialRequests: Sendable {
    struct Totals: Sendable, CustomStringConvertible {
        var ok = 0
        var failed = 0
        var failures: [String] = []

        var description: String { "\(ok) ok, \(failed) failed; first failures: \(failures.prefix(5))" }
    }

    private enum State { case running, pausing, paused, stopping, stopped }

    private let totals = NIOLockedValueBox(Totals())
    private let state = NIOLockedValueBox(State.running)

    init(port: Int) {
        Thread.detachNewThread {
            while true {
                let state = self.state.withLockedValue { state -> State in
                    if state == .pausing { state = .paused }
                    if state == .stopping { state = .stopped }
                    return state
                }
                switch state {
                case .stopped: return
                case .paused:
                    Thread.sleep(forTimeInterval: 0.005)
                    continue
                default: self.sendOne(port: port)
                }
            }
        }
    }

    /// Returns once no request is in flight; none is sent until `resume()`.
    func pause() {
        self.state.withLockedValue { if $0 == .running { $0 = .pausing } }
        waitUntil(timeout: 10, pollInterval: 0.002) { self.state.withLockedValue { $0 == .paused } }
    }

    func resume() {
        self.state.withLockedValue { if $0 == .paused || $0 == .pausing { $0 = .running } }
    }

    /// Stops after the request in flight and returns the totals.
    func stop() -> Totals {
        self.state.withLockedValue { $0 = .stopping }
        waitUntil(timeout: 15, pollInterval: 0.005) { self.state.withLockedValue { $0 == .stopped } }
        return self.totals.withLockedValue { $0 }
    }

    private func sendOne(port: Int) {
        let request = "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        let response = try? RawHTTPClient.exchange(port: port, send: request, readTimeout: 5)
        self.totals.withLockedValue { totals in
            if let response, response.closedByPeer, response.statusCodes == [200] {
                totals.ok += 1
            } else {
                totals.failed += 1
                if totals.failures.count < 20 {
                    totals.failures.append(response.map { "status \($0.statusCodes), closed \($0.closedByPeer)" } ?? "connect failed")
                }
            }
        }
    }
}
