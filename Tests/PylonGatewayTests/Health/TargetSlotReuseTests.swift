import XCTest

@testable import PylonGateway

/// Target slots in the shared health table are used by the workers whose config has the
/// target: once no live worker uses one (its generation drained and exited, or died), a
/// sweep frees it for another target, so reloads that change targets never fill the table.
/// Targets live workers still use keep their slot and state, and probe chains still find them.
final class TargetSlotReuseTests: XCTestCase {
    private var segment: SharedMemorySegment!

    override func setUpWithError() throws {
        segment = try SharedMemorySegment.anonymous()
    }

    func testTargetsOnlyAGoneGenerationUsedAreFreedAndOthersKeepTheirState() throws {
        let old = TargetHealthTable(segment: segment, owner: try GoneProcess.owner(generation: 1))
        let oldTargets = (0..<10).map { old.target(upstream: "u", address: "10.0.0.\($0):80") }
        _ = oldTargets[0].recordProbe(success: false, rise: 1, fall: 1)
        let new = TargetHealthTable(segment: segment, owner: .current(generation: 2))
        let kept = new.target(upstream: "u", address: "10.0.0.0:80")
        _ = new.target(upstream: "u", address: "10.0.0.1:80")
        XCTAssertFalse(kept.isServable(now: { 0 }), "the new generation inherits the old one's view")

        let released = new.releaseGoneWorkers()
        XCTAssertEqual(released.map(\.freedTargets), [8], "the two targets still configured keep their slots")
        XCTAssertFalse(kept.isServable(now: { 0 }), "and their state")
        let again = TargetHealthTable(segment: segment).target(upstream: "u", address: "10.0.0.0:80")
        XCTAssertFalse(again.isServable(now: { 0 }), "found again, in the same slot")
    }

    func testAFullTableTakesBackTheSlotsOfGoneWorkers() throws {
        // A generation that used every slot, then died or exited.
        let old = TargetHealthTable(segment: segment, owner: try GoneProcess.owner(generation: 1))
        for index in 0..<old.slotCount { _ = old.target(upstream: "u", address: "10.0.\(index / 256).\(index % 256):80") }
        let log = RecordedLog()
        let new = TargetHealthTable(segment: segment, owner: .current(generation: 2), logger: log.logger)
        let target = new.target(upstream: "v", address: "192.0.2.1:80")
        let sameElsewhere = TargetHealthTable(segment: segment).target(upstream: "v", address: "192.0.2.1:80")
        _ = target.recordProbe(success: false, rise: 1, fall: 1)
        XCTAssertFalse(sameElsewhere.isServable(now: { 0 }), "a shared slot, not memory of the worker's own")
        XCTAssertEqual(log.messages, [], "nothing to complain about")
    }

    func testAFreedSlotStartsAsANewTarget() throws {
        let old = TargetHealthTable(segment: segment, owner: try GoneProcess.owner())
        for index in 0..<old.slotCount {
            let target = old.target(upstream: "u", address: "10.0.\(index / 256).\(index % 256):80")
            _ = target.recordProbe(success: false, rise: 1, fall: 1)
            _ = target.recordPassiveFailure(threshold: 1, cooldownNanoseconds: 1_000_000, now: 1)
            target.beginRequest()
        }
        let new = TargetHealthTable(segment: segment)
        let fresh = new.target(upstream: "v", address: "192.0.2.1:80")
        XCTAssertTrue(fresh.isServable(now: { 2 }), "up and not ejected, like any target nobody has checked")
        XCTAssertEqual(fresh.activeState, ActiveHealthState())
        XCTAssertEqual(fresh.inFlight, 0)
    }

    func testTargetsLiveWorkersUseAreFoundPastFreedSlots() throws {
        // Fill most of the table so probe chains are long, keep every tenth target in use,
        // free the rest: looking the kept ones up must walk past the freed slots to their
        // own, not stop at the first freed slot and claim it anew.
        let old = TargetHealthTable(segment: segment, owner: try GoneProcess.owner())
        let live = TargetHealthTable(segment: segment)
        let count = old.slotCount - 50
        let address = { (index: Int) in "10.0.\(index / 256).\(index % 256):80" }
        for index in 0..<count {
            _ = old.target(upstream: "u", address: address(index))
            if index % 10 == 0 { _ = live.target(upstream: "u", address: address(index)).recordProbe(success: false, rise: 1, fall: 1) }
        }
        XCTAssertEqual(live.releaseGoneWorkers().map(\.freedTargets), [count - (count + 9) / 10])
        let reader = TargetHealthTable(segment: segment)
        for index in stride(from: 0, to: count, by: 10) {
            XCTAssertFalse(reader.target(upstream: "u", address: address(index)).isServable(now: { 0 }), "target \(index)")
        }
    }

    func testWhenLiveWorkersUseEverySlotFurtherTargetsArePrivateAndThatIsLoggedOnce() throws {
        let log = RecordedLog()
        let table = TargetHealthTable(segment: segment, logger: log.logger)
        for index in 0..<table.slotCount { _ = table.target(upstream: "u", address: "10.0.\(index / 256).\(index % 256):80") }
        XCTAssertEqual(log.messages, [])
        let first = table.target(upstream: "v", address: "192.0.2.1:80")
        let second = table.target(upstream: "v", address: "192.0.2.2:80")
        XCTAssertEqual(log.messages.count, 1, "logged once: \(log.messages)")
        XCTAssertTrue(log.messages[0].contains("health table is full"), "\(log.messages)")
        first.beginRequest()
        XCTAssertEqual(first.inFlight, 1)
        XCTAssertEqual(second.inFlight, 0, "private targets are distinct")
        let other = TargetHealthTable(segment: segment).target(upstream: "v", address: "192.0.2.1:80")
        XCTAssertEqual(other.inFlight, 0, "and not shared")
    }

    func testADroppedTablesTargetsAreFreed() throws {
        let fillLog = RecordedLog()
        let live = TargetHealthTable(segment: segment, logger: fillLog.logger)
        let shared = live.target(upstream: "u", address: "10.0.0.1:80")
        do {
            let dropped = TargetHealthTable(segment: segment)
            _ = dropped.target(upstream: "u", address: "10.0.0.1:80")
            _ = dropped.target(upstream: "u", address: "10.0.0.2:80")
        }
        // Fill the table from here: the dropped table's other target freed its slot.
        for index in 0..<(live.slotCount - 1) {
            let target = live.target(upstream: "w", address: "10.1.\(index / 256).\(index % 256):80")
            target.beginRequest()
            XCTAssertEqual(target.inFlight, 1)
        }
        XCTAssertEqual(fillLog.messages, [], "every target found a shared slot")
        let log = RecordedLog()
        let latecomer = TargetHealthTable(segment: segment, logger: log.logger)
        _ = latecomer.target(upstream: "x", address: "10.2.0.0:80")
        XCTAssertTrue(log.messages.contains { $0.contains("health table is full") }, "every slot is used now: \(log.messages)")
        XCTAssertEqual(shared.inFlight, 0)
    }
}
