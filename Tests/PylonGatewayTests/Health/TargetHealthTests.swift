import XCTest

@testable import PylonGateway

/// One target's shared words: active state, passive ejection with its cool-down, load.
final class TargetHealthTests: XCTestCase {
    private var table: TargetHealthTable!

    override func setUpWithError() throws {
        table = TargetHealthTable(segment: try SharedMemorySegment.anonymous())
    }

    func testAnUnknownTargetIsServable() {
        let target = table.target(upstream: "u", address: "127.0.0.1:1")
        XCTAssertTrue(target.isServable(now: { 0 }))
        XCTAssertEqual(target.inFlight, 0)
    }

    func testProbesTakeTheTargetOutAndBringItBack() {
        let target = table.target(upstream: "u", address: "127.0.0.1:1")
        XCTAssertNil(target.recordProbe(success: false, rise: 2, fall: 2))
        XCTAssertTrue(target.isServable(now: { 0 }))
        XCTAssertEqual(target.recordProbe(success: false, rise: 2, fall: 2), .wentDown)
        XCTAssertFalse(target.isServable(now: { 0 }))
        XCTAssertNil(target.recordProbe(success: true, rise: 2, fall: 2))
        XCTAssertFalse(target.isServable(now: { 0 }))
        XCTAssertEqual(target.recordProbe(success: true, rise: 2, fall: 2), .cameUp)
        XCTAssertTrue(target.isServable(now: { 0 }))
    }

    func testConsecutivePassiveFailuresEjectUntilTheCooldownEnds() {
        let target = table.target(upstream: "u", address: "127.0.0.1:1")
        let second: UInt64 = 1_000_000_000
        XCTAssertFalse(target.recordPassiveFailure(threshold: 3, cooldownNanoseconds: 10 * second, now: 100 * second))
        XCTAssertFalse(target.recordPassiveFailure(threshold: 3, cooldownNanoseconds: 10 * second, now: 100 * second))
        XCTAssertTrue(target.isServable(now: { 100 * second }))
        XCTAssertTrue(target.recordPassiveFailure(threshold: 3, cooldownNanoseconds: 10 * second, now: 100 * second))
        XCTAssertFalse(target.isServable(now: { 100 * second }))
        XCTAssertFalse(target.isServable(now: { 109 * second }))
        XCTAssertTrue(target.isServable(now: { 110 * second }), "served again once the cool-down is over")
        XCTAssertFalse(target.isEjected(now: 105 * second), "the expired ejection was cleared")
    }

    func testFailuresDuringTheCooldownDoNotExtendIt() {
        let target = table.target(upstream: "u", address: "127.0.0.1:1")
        XCTAssertTrue(target.recordPassiveFailure(threshold: 1, cooldownNanoseconds: 10, now: 100))
        XCTAssertFalse(target.recordPassiveFailure(threshold: 1, cooldownNanoseconds: 10, now: 105))
        XCTAssertTrue(target.isServable(now: { 110 }))
    }

    func testAfterTheCooldownItTakesTheFullCountAgain() {
        let target = table.target(upstream: "u", address: "127.0.0.1:1")
        XCTAssertTrue(target.recordPassiveFailure(threshold: 2, cooldownNanoseconds: 10, now: 0) == false)
        XCTAssertTrue(target.recordPassiveFailure(threshold: 2, cooldownNanoseconds: 10, now: 0))
        XCTAssertFalse(target.recordPassiveFailure(threshold: 2, cooldownNanoseconds: 10, now: 20))
        XCTAssertTrue(target.isServable(now: { 20 }))
        XCTAssertTrue(target.recordPassiveFailure(threshold: 2, cooldownNanoseconds: 10, now: 20))
    }

    func testASuccessEndsThePassiveStreak() {
        let target = table.target(upstream: "u", address: "127.0.0.1:1")
        _ = target.recordPassiveFailure(threshold: 2, cooldownNanoseconds: 10, now: 0)
        target.recordPassiveSuccess()
        XCTAssertFalse(target.recordPassiveFailure(threshold: 2, cooldownNanoseconds: 10, now: 0))
        XCTAssertTrue(target.isServable(now: { 0 }))
    }

    func testRequestsInFlightAreCountedAndNeverNegative() {
        let target = table.target(upstream: "u", address: "127.0.0.1:1")
        target.beginRequest()
        target.beginRequest()
        XCTAssertEqual(target.inFlight, 2)
        target.endRequest()
        target.endRequest()
        target.endRequest()
        XCTAssertEqual(target.inFlight, 0)
    }

    func testTheSameTargetInAnotherTableOnTheSegmentIsTheSameSlot() throws {
        let segment = try SharedMemorySegment.anonymous()
        // Two workers: each keeps its table (and with it its worker slot) while it serves.
        let first = TargetHealthTable(segment: segment)
        let second = TargetHealthTable(segment: segment)
        let a = first.target(upstream: "u", address: "127.0.0.1:1")
        let b = second.target(upstream: "u", address: "127.0.0.1:1")
        a.beginRequest()
        XCTAssertEqual(b.inFlight, 1)
        _ = a.recordProbe(success: false, rise: 1, fall: 1)
        XCTAssertFalse(b.isServable(now: { 0 }))
    }

    func testDistinctTargetsGetDistinctSlotsEvenWhenTheTableIsFull() {
        let targets = (0..<(table.slotCount + 10)).map { table.target(upstream: "u", address: "10.0.0.1:\($0 + 1)") }
        for (index, target) in targets.enumerated() where index % 97 == 0 || index >= table.slotCount {
            target.beginRequest()
            XCTAssertEqual(target.inFlight, 1, "target \(index)")
        }
        XCTAssertEqual(table.target(upstream: "u", address: "10.0.0.1:1").inFlight, 1, "found again, not claimed twice")
    }
}
