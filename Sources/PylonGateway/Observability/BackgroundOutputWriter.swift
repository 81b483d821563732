import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text to a file descriptor from a thread of its own, so an event loop never makes
/// the write syscall itself: it only appends to an in-memory buffer under a short lock.
/// The access log (stdout) goes through one, and so do the diagnostic lines a worker logs
/// on its event loops (stderr, see `DiagnosticLogOutput`): under systemd both are pipes or
/// sockets to journald, and a write to one that is full blocks until journald reads.
///
/// If the output cannot keep up, text beyond `maxPendingBytes` is dropped and counted
/// rather than ever blocking request handling.
public final class BackgroundOutputWriter: Sendable {
    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        var stopping = false
    }

    private let fileDescriptor: CInt
    private let maxPendingBytes: Int
    private let pending = NIOLockedValueBox(Pending())
    /// Held while bytes go to the descriptor, so that what `flush` and `writeNow` write
    /// and what the thread writes never interleave or pass each other.
    private let writing = NIOLock()
    /// 1 once there is something for the thread to do: it sleeps on this while there is
    /// nothing queued, so an idle process has no thread waking for nothing.
    private let work = ConditionLock(value: 0)
    private let finished = ConditionLock(value: 0)

    /// Starts the writer thread.
    public init(fileDescriptor: CInt = 1, maxPendingBytes: Int = 8 * 1024 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.maxPendingBytes = maxPendingBytes
        Self.startThread(for: self)
    }

    /// Queues one line (a newline is appended).
    public func write(line: String) {
        self.enqueue(line, newline: true)
    }

    /// Queues `text` as it is.
    public func write(text: String) {
        self.enqueue(text, newline: false)
    }

    /// Queues `text`, and a newline after it if asked; drops and counts it instead when
    /// it would take the queue past `maxPendingBytes`.
    private func enqueue(_ text: String, newline: Bool) {
        let size = text.utf8.count + (newline ? 1 : 0)
        let first = self.pending.withLockedValue { pending -> Bool in
            guard pending.bytes.count + size <= self.maxPendingBytes else {
                pending.dropped += 1
                return false
            }
            let first = pending.bytes.isEmpty
            pending.bytes.append(contentsOf: text.utf8)
            if newline { pending.bytes.append(UInt8(ascii: "\n")) }
            return first
        }
        if first { self.wakeThread() }
    }

    /// Tells the thread there is work: once per batch, when the queue stops being empty.
    private func wakeThread() {
        self.work.lock()
        self.work.unlock(withValue: 1)
    }

    /// Writes what is queued and then `text`, before returning. For a thread that may
    /// block (never an event loop): its text keeps its place after what it queued before.
    public func writeNow(text: String) {
        self.writing.withLock {
            self.writeAll(self.takePending())
            self.writeAll(Array(text.utf8))
        }
    }

    /// Writes what is queued before returning: for a process about to exit.
    public func flush() {
        self.writing.withLock { self.writeAll(self.takePending()) }
    }

    /// Lines and texts dropped because the output fell behind.
    public var droppedLines: Int { self.pending.withLockedValue { $0.dropped } }

    /// Writes out what is queued and stops the thread.
    public func shutdown() {
        self.pending.withLockedValue { $0.stopping = true }
        self.wakeThread()
        self.finished.lock(whenValue: 1)
        self.finished.unlock()
    }

    private func takePending() -> [UInt8] {
        self.takePendingAndStopping().bytes
    }

    /// What is queued, and whether `shutdown` was asked for before it was taken.
    private func takePendingAndStopping() -> (bytes: [UInt8], stopping: Bool) {
        self.pending.withLockedValue { pending in
            defer { pending.bytes.removeAll(keepingCapacity: true) }
            return (pending.bytes, pending.stopping)
        }
    }

    fileprivate func runLoop() {
        while true {
            self.work.lock(whenValue: 1)
            self.work.unlock(withValue: 0)
            // Batching by time keeps the event loops' side to one append per line.
            usleep(20_000)
            let stopping = self.writing.withLock {
                let (bytes, stopping) = self.takePendingAndStopping()
                self.writeAll(bytes)
                return stopping
            }
            if stopping { break }
        }
        self.finished.lock()
        self.finished.unlock(withValue: 1)
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(self.fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // output gone (closed pipe): nothing sensible left to do
                }
                offset += written
            }
        }
    }
}

extension BackgroundOutputWriter {
    /// Starts the detached thread that runs `runLoop`.
    fileprivate static func startThread(for writer: BackgroundOutputWriter) {
        let box = Unmanaged.passRetained(WriterBox(writer)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<WriterBox>.fromOpaque(argument!).takeRetainedValue()
            box.writer.runLoop()
            return nil
        }, box)
        precondition(result == 0, "cannot start the output writer thread: \(result)")
        pthread_detach(thread)
    }
}

private final class WriterBox {
    let writer: BackgroundOutputWriter
    init(_ writer: BackgroundOutputWriter) { self.writer = writer }
}
