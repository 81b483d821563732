import CSystemd

/// Tells systemd about the service's state through `sd_notify` (libsystemd): a no-op
/// when the process was not started by systemd with `Type=notify` (no NOTIFY_SOCKET).
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends `fields` (e.g. `["READY=1", "STATUS=serving"]`) as one notification.
    /// Returns false when systemd is not listening or the send failed.
    @discardableResult
    public func notify(_ fields: [String]) -> Bool {
        sd_notify(0, fields.joined(separator: "\n")) > 0
    }
}
