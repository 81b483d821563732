import CPylon
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The shared-memory segments the master holds (DESIGN §4): zero-filled memfds it never
/// maps or reads — what is in them is the workers' business. Normally there is one, created
/// at first start and kept across every re-exec, so the counts in it outlive workers and
/// upgrades. A new binary that lays the segment out differently gets a fresh one for its
/// generation while the draining generation keeps the old; a segment is closed once no
/// generation uses it (the workers' mappings keep it alive until they exit).
struct SharedMemorySet: Sendable, Codable, Equatable {
    struct Entry: Sendable, Codable, Equatable {
        var segment: SupervisorSettings.SharedMemory
        var fd: Int32
    }

    private(set) var entries: [Entry] = []

    func entry(for segment: SupervisorSettings.SharedMemory) -> Entry? {
        self.entries.first { $0.segment == segment }
    }

    var descriptors: [Int32] { self.entries.map(\.fd) }

    /// Makes sure a segment for `segment` is open: the one held already, or a new one.
    mutating func open(_ segment: SupervisorSettings.SharedMemory, logger: Logger) throws {
        if self.entry(for: segment) != nil { return }
        let fd = try Self.create(segment)
        if self.entries.isEmpty {
            logger.info("created the shared memory segment", metadata: ["bytes": "\(segment.byteCount)", "layout": "\(segment.layout)"])
        } else {
            logger.warning(
                "this binary lays out shared memory differently: the new generation gets a fresh segment, so shared counters restart",
                metadata: ["layout": "\(segment.layout)", "previous": "\(self.entries.map(\.segment.layout))"]
            )
        }
        self.entries.append(Entry(segment: segment, fd: fd))
    }

    /// Closes every segment not in `inUse`.
    mutating func close(keeping inUse: Set<SupervisorSettings.SharedMemory>, logger: Logger) {
        for entry in self.entries where !inUse.contains(entry.segment) {
            logger.info("closed a shared memory segment no generation uses", metadata: ["layout": "\(entry.segment.layout)"])
            Glibc.close(entry.fd)
        }
        self.entries.removeAll { !inUse.contains($0.segment) }
    }

    /// A zero-filled memfd of the segment's size, close-on-exec.
    static func create(_ segment: SupervisorSettings.SharedMemory) throws -> Int32 {
        guard segment.byteCount > 0 else { throw SharedMemorySetError.badSize(segment.byteCount) }
        let fd = pylon_memfd("pylon-shared")
        guard fd >= 0 else { throw SystemError("memfd_create") }
        guard ftruncate(fd, off_t(segment.byteCount)) == 0 else {
            let error = SystemError("ftruncate shared memory to \(segment.byteCount) bytes")
            Glibc.close(fd)
            throw error
        }
        return fd
    }
}

enum SharedMemorySetError: Error, CustomStringConvertible {
    case badSize(Int)

    var description: String {
        switch self { case .badSize(let size): return "shared memory size \(size) is not positive" }
    }
}
