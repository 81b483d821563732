import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd about the service's state through `sd_notify` (libsystemd): a no-op
/// when the process was not started by systemd with `Type=notify` (no NOTIFY_SOCKET).
/// The environment is left in place: the master re-execs itself with the same PID and
/// must still be able to notify afterwards (workers are spawned without it).
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends `fields` (e.g. `["READY=1", "STATUS=serving"]`) as one notification.
    /// Returns false when systemd is not listening or the send failed.
    @discardableResult
    public func notify(_ fields: [String]) -> Bool {
        sd_notify(0, fields.joined(separator: "\n")) > 0
    }

    /// The watchdog interval systemd asked for (`WATCHDOG_USEC` for this pid), in microseconds.
    public func watchdogMicroseconds() -> UInt64? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return microseconds
    }

    /// `MONOTONIC_USEC=` value for a `RELOADING=1` notification.
    public static func monotonicMicroseconds() -> UInt64 {
        MonotonicClock.now() / 1000
    }
}
