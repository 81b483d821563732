import Foundation
import Logging
import XCTest

@testable import PylonSupervisor

/// The master's shared-memory segments: one zero-filled memfd per layout in use, kept while
/// a generation uses it, a fresh one when a binary lays memory out differently.
final class SharedMemorySetTests: XCTestCase {
    private let logger = Logger(label: "test")
    private let current = SupervisorSettings.SharedMemory(byteCount: 64 << 10, layout: "test v1 65536")

    private func size(_ fd: Int32) -> Int {
        var status = stat()
        XCTAssertEqual(fstat(fd, &status), 0)
        return Int(status.st_size)
    }

    private func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) >= 0 }

    func testASegmentIsAZeroFilledMemfdOfTheRequestedSizeClosedOnExec() throws {
        var set = SharedMemorySet()
        try set.open(current, logger: logger)
        let fd = try XCTUnwrap(set.entry(for: current)?.fd)
        defer { set.close(keeping: [], logger: logger) }
        XCTAssertEqual(size(fd), 64 << 10)
        XCTAssertNotEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0, "only a re-exec may inherit it")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/fd/\(fd)"))
        XCTAssertEqual(bytes.count, 64 << 10)
        XCTAssertTrue(bytes.allSatisfy { $0 == 0 })
    }

    func testTheSameLayoutKeepsTheSegmentItHas() throws {
        var set = SharedMemorySet()
        try set.open(current, logger: logger)
        let first = try XCTUnwrap(set.entry(for: current)?.fd)
        try set.open(current, logger: logger)
        XCTAssertEqual(set.entries.count, 1)
        XCTAssertEqual(set.entry(for: current)?.fd, first)
        set.close(keeping: [], logger: logger)
    }

    func testAnotherLayoutGetsAFreshSegmentAndTheOldOneClosesWhenUnused() throws {
        var set = SharedMemorySet()
        try set.open(current, logger: logger)
        let old = try XCTUnwrap(set.entry(for: current)?.fd)
        let next = SupervisorSettings.SharedMemory(byteCount: 128 << 10, layout: "test v2 131072")
        try set.open(next, logger: logger)
        let new = try XCTUnwrap(set.entry(for: next)?.fd)
        XCTAssertNotEqual(old, new)
        XCTAssertEqual(size(new), 128 << 10)
        XCTAssertEqual(Set(set.descriptors), [old, new])

        // While the old generation drains it keeps its segment; once it is gone, so is the fd.
        set.close(keeping: [current, next], logger: logger)
        XCTAssertTrue(isOpen(old))
        set.close(keeping: [next], logger: logger)
        XCTAssertFalse(isOpen(old))
        XCTAssertTrue(isOpen(new))
        XCTAssertEqual(set.descriptors, [new])
        set.close(keeping: [], logger: logger)
        XCTAssertFalse(isOpen(new))
    }

    func testANonPositiveSizeIsRefused() {
        var set = SharedMemorySet()
        XCTAssertThrowsError(try set.open(.init(byteCount: 0, layout: "x"), logger: logger))
        XCTAssertTrue(set.entries.isEmpty)
    }

    func testGenerationsSayWhichSegmentsAreInUse() {
        var table = GenerationTable()
        let other = SupervisorSettings.SharedMemory(byteCount: 1, layout: "other")
        for segment in [current, other, nil, current] {
            table.addGeneration(
                settings: SupervisorSettings(
                    listeners: [], workers: 1, drainTimeoutMilliseconds: 1, configPath: "c", configText: "t", sharedMemory: segment
                ),
                listenerKeys: []
            )
        }
        XCTAssertEqual(table.sharedMemoryInUse, [current, other])
    }

    func testSettingsFromAMasterWithoutSharedMemoryStillDecode() throws {
        // A generation table written by a master from before shared memory existed.
        let json = #"{"listeners":[],"workers":2,"threadsPerWorker":1,"drainTimeoutMilliseconds":5,"configPath":"c","configText":"t"}"#
        let settings = try JSONDecoder().decode(SupervisorSettings.self, from: Data(json.utf8))
        XCTAssertNil(settings.sharedMemory)
        XCTAssertEqual(settings.workers, 2)
    }
}
