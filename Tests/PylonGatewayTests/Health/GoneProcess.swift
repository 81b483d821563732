import Logging
import NIOConcurrencyHelpers
import XCTest

@testable import PylonGateway

#if canImport(Glibc)
import Glibc
#endif

/// The pid of a process that has exited and been reaped: what a SIGKILLed worker looks like
/// to the workers that outlive it.
enum GoneProcess {
    static func pid(file: StaticString = #filePath, line: UInt = #line) throws -> Int32 {
        var pid: pid_t = 0
        let arguments = ["/bin/true"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/true", nil, nil, &argv, environ)
        XCTAssertEqual(spawned, 0, "posix_spawn /bin/true", file: file, line: line)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid, file: file, line: line)
        return pid
    }

    /// A worker slot owner whose process is gone.
    static func owner(generation: Int = 1) throws -> WorkerSlotOwner {
        WorkerSlotOwner(pid: try pid(), generation: generation)
    }
}

/// A logger whose messages a test can read.
final class RecordedLog: Sendable {
    private let box = NIOLockedValueBox<[String]>([])

    var messages: [String] { self.box.withLockedValue { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(box: self.box) }
    }

    private struct Handler: LogHandler {
        let box: NIOLockedValueBox<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.box.withLockedValue { $0.append("\(event.message)") }
        }
    }
}
