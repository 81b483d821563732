import XCTest

@testable import PylonGateway

/// Requests in flight are counted per worker slot: what a worker that died mid-request
/// (SIGKILL, a crash) still counted stops weighing on its targets once a surviving worker
/// releases its slot, and nothing a live worker counts is ever released.
final class GoneWorkerReleaseTests: XCTestCase {
    private var segment: SharedMemorySegment!

    override func setUpWithError() throws {
        segment = try SharedMemorySegment.anonymous()
    }

    func testRequestsInFlightOfAWorkerThatIsGoneStopCountingOnceReleased() throws {
        let live = TargetHealthTable(segment: segment)
        let deadOwner = try GoneProcess.owner(generation: 3)
        let dead = TargetHealthTable(segment: segment, owner: deadOwner)
        let seenByDead = dead.target(upstream: "u", address: "10.0.0.1:80")
        let seenByLive = live.target(upstream: "u", address: "10.0.0.1:80")
        for _ in 0..<3 { seenByDead.beginRequest() }
        seenByLive.beginRequest()
        XCTAssertEqual(seenByLive.inFlight, 4, "every worker's requests count")

        let released = live.releaseGoneWorkers()
        XCTAssertEqual(released, [TargetHealthTable.ReleasedWorker(owner: deadOwner, requestsInFlight: 3, freedTargets: 0)])
        XCTAssertEqual(seenByLive.inFlight, 1, "only the live worker's request is left")
        XCTAssertEqual(live.releaseGoneWorkers(), [], "released once")
        seenByLive.endRequest()
        XCTAssertEqual(seenByLive.inFlight, 0)
    }

    func testLiveWorkersAreNeverReleased() throws {
        let first = TargetHealthTable(segment: segment)
        let second = TargetHealthTable(segment: segment, owner: .current(generation: 2))
        let target = first.target(upstream: "u", address: "10.0.0.1:80")
        let same = second.target(upstream: "u", address: "10.0.0.1:80")
        target.beginRequest()
        same.beginRequest()
        XCTAssertEqual(first.releaseGoneWorkers(), [])
        XCTAssertEqual(second.releaseGoneWorkers(), [])
        XCTAssertEqual(target.inFlight, 2)
    }

    func testEachWorkerCountsInItsOwnSlot() throws {
        let first = TargetHealthTable(segment: segment)
        let second = TargetHealthTable(segment: segment)
        XCTAssertNotNil(first.workerSlot)
        XCTAssertNotNil(second.workerSlot)
        XCTAssertNotEqual(first.workerSlot, second.workerSlot)
        let a = first.target(upstream: "u", address: "10.0.0.1:80")
        let b = second.target(upstream: "u", address: "10.0.0.1:80")
        a.beginRequest()
        b.beginRequest()
        b.beginRequest()
        XCTAssertEqual(a.inFlight, 3, "the sum over both workers")
        b.endRequest()
        XCTAssertEqual(b.inFlight, 2)
        let secondSlot = try XCTUnwrap(second.workerSlot)
        let counts = InFlightCounts(
            base: segment.workers.baseAddress! + WorkerSlotTable.headerByteCount,
            liveMask: WorkerSlotTable(base: segment.workers.baseAddress!).liveMask
        )
        let secondsWords = (0..<InFlightCounts.targetCapacity).map {
            counts.counter(slot: secondSlot, target: $0).load(as: UInt64.self)
        }
        XCTAssertEqual(secondsWords.reduce(0, +), 1, "the second worker's own request, in its own column")
    }

    func testADroppedTableGivesItsWorkerSlotBack() throws {
        let live = TargetHealthTable(segment: segment)
        let target = live.target(upstream: "u", address: "10.0.0.1:80")
        var slots: Set<Int> = []
        for _ in 0..<(WorkerSlotTable.slotCount * 2) {
            let table = TargetHealthTable(segment: segment)
            let other = table.target(upstream: "u", address: "10.0.0.1:80")
            other.beginRequest()
            slots.insert(try XCTUnwrap(table.workerSlot, "a slot is free again once the last table is gone"))
        }
        XCTAssertLessThan(slots.count, 3, "slots are reused, not used up")
        XCTAssertEqual(target.inFlight, 0, "a dropped table's counts go with it")
    }

    func testWithEveryWorkerSlotHeldAWorkerCountsOnItsOwn() throws {
        let log = RecordedLog()
        let holders = (0..<WorkerSlotTable.slotCount).map { _ in TargetHealthTable(segment: segment) }
        XCTAssertEqual(Set(holders.compactMap(\.workerSlot)).count, WorkerSlotTable.slotCount)
        let extra = TargetHealthTable(segment: segment, logger: log.logger)
        XCTAssertNil(extra.workerSlot)
        XCTAssertEqual(log.messages.filter { $0.contains("every worker slot") }.count, 1, "\(log.messages)")
        let shared = holders[0].target(upstream: "u", address: "10.0.0.1:80")
        let own = extra.target(upstream: "u", address: "10.0.0.1:80")
        own.beginRequest()
        XCTAssertEqual(own.inFlight, 1)
        XCTAssertEqual(shared.inFlight, 0, "the extra worker's state is private")
    }

    func testWithEveryWorkerSlotHeldTheSlotsOfGoneWorkersAreReclaimed() throws {
        let live = (0..<(WorkerSlotTable.slotCount - 1)).map { _ in TargetHealthTable(segment: segment) }
        let dead = TargetHealthTable(segment: segment, owner: try GoneProcess.owner())
        XCTAssertNotNil(dead.workerSlot)
        let newcomer = TargetHealthTable(segment: segment)
        XCTAssertEqual(newcomer.workerSlot, dead.workerSlot, "the gone worker's slot was released and claimed")
        XCTAssertEqual(live.count, WorkerSlotTable.slotCount - 1)
    }

    func testALockHolderThatIsGoneDoesNotBlockOthers() throws {
        let gone = try GoneProcess.pid()
        let lock = WorkerSlotTable(base: segment.workers.baseAddress!).lock
        XCTAssertTrue(lock.tryLock(as: gone), "taken by a process that then died")
        XCTAssertTrue(lock.tryLock(as: getpid()), "taken over from the gone holder")
        XCTAssertFalse(lock.tryLock(as: gone), "a live holder keeps it")
        lock.unlock()
        let table = TargetHealthTable(segment: segment)
        XCTAssertNotNil(table.workerSlot)
    }

    func testTheSweepLogsAWorkerThatDiedWithRequestsInFlight() throws {
        let log = RecordedLog()
        let live = TargetHealthTable(segment: segment)
        let dead = TargetHealthTable(segment: segment, owner: try GoneProcess.owner(generation: 7))
        dead.target(upstream: "u", address: "10.0.0.1:80").beginRequest()
        GoneWorkerSweep.log(live.releaseGoneWorkers(), logger: log.logger)
        XCTAssertEqual(log.messages, ["a worker ended with requests in flight; they no longer count as upstream load"])
    }
}
