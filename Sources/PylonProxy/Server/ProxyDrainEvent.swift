public import NIOCore

/// Sent down a client connection's pipeline to start draining it: the request in
/// flight is answered with `Connection: close`, an idle connection stays open for a
/// request already on its way and is half-closed if still idle after `closeIdleAfter`.
public struct ProxyDrainEvent: Sendable {
    public var closeIdleAfter: TimeAmount

    public init(closeIdleAfter: TimeAmount) {
        self.closeIdleAfter = closeIdleAfter
    }
}
