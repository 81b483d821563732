import NIOCore

/// Something whose flush can wait for the end of its event loop's tick.
protocol EndOfTickFlushing: AnyObject {
    /// Set while the object waits in an `EndOfTickFlushes`: it is queued once per tick.
    var flushQueued: Bool { get set }
    /// Flushes what was written since the last flush.
    func flushAtEndOfTick()
}

/// The HTTP/1.1 flushes of one event loop, held until the loop has handled every socket
/// that was ready in its current tick (a task runs after the I/O of its tick), then made
/// in the order they were asked for.
///
/// A flush made as soon as a read cycle ends is a write(2) to a peer that is often asleep
/// waiting for it. Under load a worker's loop handles dozens of ready sockets per tick, and
/// a flush after each would wake a client's or a backend's process once per request, with
/// the scheduler's cost of it paid in this worker's system time. Made together at the end
/// of the tick, the writes after the first find those processes awake, and each of them
/// takes a batch of requests per wake-up. The wait is the rest of the tick, never a timer:
/// a request alone on the loop is flushed before the loop sleeps again.
///
/// Confined to its event loop, as the `UpstreamPool` that holds it.
final class EndOfTickFlushes {
    private let eventLoop: any EventLoop
    @exclusivity(unchecked) private var queued: [any EndOfTickFlushing] = []
    /// The array the last tick flushed, kept for its capacity.
    @exclusivity(unchecked) private var spare: [any EndOfTickFlushing] = []

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `item` at the end of this tick; asking again before then changes nothing.
    func flushAtEndOfTick(_ item: any EndOfTickFlushing) {
        guard !item.flushQueued else { return }
        item.flushQueued = true
        if self.queued.isEmpty {
            self.eventLoop.assumeIsolated().execute { [self] in self.flushAll() }
        }
        self.queued.append(item)
    }

    private func flushAll() {
        // Flushing can queue more (a flush that makes a channel writable resumes reads):
        // those go to a fresh list and a task of their own.
        swap(&self.queued, &self.spare)
        for item in self.spare {
            item.flushQueued = false
            item.flushAtEndOfTick()
        }
        self.spare.removeAll(keepingCapacity: true)
    }
}
