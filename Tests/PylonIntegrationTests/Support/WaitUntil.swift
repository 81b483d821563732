import Foundation

/// Polls `condition` until it returns true or `timeout` seconds have passed.
///
/// Integration tests observe other processes (pylon, curl, backends) whose progress we
/// cannot await directly, so every "eventually" check in the support code goes through
/// this one loop. Returns whether the condition became true; the condition is evaluated
/// one last time at the deadline so a slow poll interval never loses a late success.
@discardableResult
func waitUntil(
    timeout: Double,
    pollInterval: Double = 0.01,
    _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: pollInterval)
    }
    return try condition()
}
