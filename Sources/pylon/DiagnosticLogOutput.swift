import NIOPosix
import PylonGateway

/// Where the diagnostic log goes (stderr, in swift-log's `StreamLogHandler` format): lines
/// logged on an event loop are written by a thread of their own, every other line before
/// `write` returns.
///
/// swift-log's own standard-error stream writes on the thread that logs. On an event loop
/// that is a write(2) to journald's pipe, which blocks the loop, and every connection on
/// it, whenever journald falls behind; and a worker logs on its loops exactly when things
/// go wrong: an upstream that refuses connections costs a line per request. Lines from
/// other threads (start-up, signals, the master's) are written at once, after whatever was
/// queued before them, so they keep their order and a process that exits right after
/// logging loses nothing. What the loops queued is flushed at exit (`LoggingBootstrap`).
struct DiagnosticLogOutput: TextOutputStream, Sendable {
    let writer: BackgroundOutputWriter

    mutating func write(_ string: String) {
        if MultiThreadedEventLoopGroup.currentEventLoop != nil {
            self.writer.write(text: string)
        } else {
            self.writer.writeNow(text: string)
        }
    }
}
