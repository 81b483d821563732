import Logging
import NIOCore

/// One upstream pool per event loop of the server's group.
///
/// `@unchecked Sendable`: the dictionary is built once and never changes, and each
/// pool is only ever touched on its own event loop (a client connection uses the pool
/// of the loop it runs on).
final class EventLoopPools: @unchecked Sendable {
    private let pools: [ObjectIdentifier: UpstreamPool]

    init(group: any EventLoopGroup, logger: Logger) {
        var pools: [ObjectIdentifier: UpstreamPool] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = UpstreamPool(eventLoop: loop, logger: logger)
        }
        self.pools = pools
    }

    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        eventLoop.preconditionInEventLoop()
        return self.pools[ObjectIdentifier(eventLoop)]!
    }
}
