import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes access-log lines to a file descriptor (stdout by default) from a thread of
/// its own, so an event loop never makes the write syscall itself: it only appends to
/// an in-memory buffer under a short lock.
///
/// If the output cannot keep up, lines beyond `maxPendingBytes` are dropped and
/// counted rather than ever blocking request handling.
public final class AccessLogWriter: Sendable {
    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        var stopping = false
    }

    private let fileDescriptor: CInt
    private let maxPendingBytes: Int
    private let pending = NIOLockedValueBox(Pending())
    private let finished = ConditionLock(value: 0)

    /// Starts the writer thread.
    public init(fileDescriptor: CInt = 1, maxPendingBytes: Int = 8 * 1024 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.maxPendingBytes = maxPendingBytes
        Self.startThread(for: self)
    }

    /// Queues one line (a newline is appended).
    public func write(line: String) {
        self.pending.withLockedValue { pending in
            guard pending.bytes.count + line.utf8.count < self.maxPendingBytes else {
                pending.dropped += 1
                return
            }
            pending.bytes.append(contentsOf: line.utf8)
            pending.bytes.append(UInt8(ascii: "\n"))
        }
    }

    /// Lines dropped because the output fell behind.
    public var droppedLines: Int { self.pending.withLockedValue { $0.dropped } }

    /// Writes out what is queued and stops the thread.
    public func shutdown() {
        self.pending.withLockedValue { $0.stopping = true }
        self.finished.lock(whenValue: 1)
        self.finished.unlock()
    }

    fileprivate func runLoop() {
        while true {
            // Batching by time keeps the event loops' side to one append per line.
            usleep(20_000)
            let (bytes, stopping) = self.pending.withLockedValue { pending -> ([UInt8], Bool) in
                defer { pending.bytes.removeAll(keepingCapacity: true) }
                return (pending.bytes, pending.stopping)
            }
            self.writeAll(bytes)
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

extension AccessLogWriter {
    /// Starts the detached thread that runs `runLoop`.
    fileprivate static func startThread(for writer: AccessLogWriter) {
        let box = Unmanaged.passRetained(WriterBox(writer)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<WriterBox>.fromOpaque(argument!).takeRetainedValue()
            box.writer.runLoop()
            return nil
        }, box)
        precondition(result == 0, "cannot start the access log thread: \(result)")
        pthread_detach(thread)
    }
}

private final class WriterBox {
    let writer: AccessLogWriter
    init(_ writer: AccessLogWriter) { self.writer = writer }
}
