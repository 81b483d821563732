import CPylon
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Everything a master hands to the master it re-execs into (same PID): the generation
/// table with each worker's pid and control-socket fd, the listener fds, the shared-memory
/// segments, the control socket and the `pylon reload` connection waiting for the outcome. The descriptors are
/// inherited (CLOEXEC cleared just before `execve`); this JSON, in a memfd whose number is
/// in `PYLON_SUPERVISOR_STATE_FD`, says what each one is.
struct ReexecState: Codable {
    static let environmentKey = "PYLON_SUPERVISOR_STATE_FD"
    static let currentVersion = 1

    var version = Self.currentVersion
    var binaryPath: String
    var table: GenerationTable
    var listeners: ListenerSet
    /// Optional so that the state of a master from before shared memory still reads.
    var sharedMemory: SharedMemorySet?
    var controlSocketFD: Int32
    var controlSocketPath: String
    var replyFD: Int32?
    var lastReload: String
    var upgradeCount: Int

    /// Every descriptor the new master inherits.
    var descriptors: [Int32] {
        self.listeners.descriptors + (self.sharedMemory?.descriptors ?? []) + self.table.workers.map(\.controlFD).filter { $0 >= 0 }
            + [self.controlSocketFD] + (self.replyFD.map { [$0] } ?? [])
    }

    /// Writes the state into a new memfd; returns its descriptor (close-on-exec still set).
    func write() throws -> Int32 {
        let fd = pylon_memfd("pylon-supervisor-state")
        guard fd >= 0 else { throw SystemError("memfd_create") }
        do {
            try Descriptors.writeAll(fd, Array(try JSONEncoder().encode(self)))
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw SystemError("lseek") }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// The state a previous master left, if this process is a re-exec; consumes the
    /// variable and the memfd.
    static func take() throws -> ReexecState? {
        guard let value = getenv(Self.environmentKey).map({ String(cString: $0) }) else { return nil }
        unsetenv(Self.environmentKey)
        guard let fd = Int32(value) else { throw ReexecStateError.invalid("\(Self.environmentKey)=\(value)") }
        defer { close(fd) }
        let bytes = try Descriptors.readAll(fd)
        let state: ReexecState
        do {
            state = try JSONDecoder().decode(ReexecState.self, from: Data(bytes))
        } catch {
            throw ReexecStateError.invalid("\(error)")
        }
        guard state.version == Self.currentVersion else {
            throw ReexecStateError.invalid("state version \(state.version), this binary reads \(Self.currentVersion)")
        }
        return state
    }
}

enum ReexecStateError: Error, CustomStringConvertible {
    case invalid(String)

    var description: String {
        switch self { case .invalid(let detail): return "cannot read the previous master's state: \(detail)" }
    }
}
