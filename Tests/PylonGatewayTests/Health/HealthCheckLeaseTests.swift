import Atomics
import XCTest

@testable import PylonGateway

/// Who runs the health checks: the rules of `HealthCheckLease`.
final class HealthCheckLeaseTests: XCTestCase {
    private typealias Lease = HealthCheckLease
    private let old = Lease.Holder(generation: 1, pid: 100)
    private let oldPeer = Lease.Holder(generation: 1, pid: 101)
    private let new = Lease.Holder(generation: 2, pid: 200)

    private func word(_ holder: Lease.Holder, expiry: UInt64) -> UInt64 {
        Lease.encode(Lease.State(holder: holder, expiry: UInt32(expiry & Lease.clockMask)))
    }

    func testAnEmptyLeaseIsTaken() {
        XCTAssertEqual(Lease.decide(current: 0, me: old, nowMilliseconds: 5_000), .take)
    }

    func testTheHolderRenews() {
        XCTAssertEqual(Lease.decide(current: word(old, expiry: 6_000), me: old, nowMilliseconds: 5_000), .renew)
    }

    func testALiveHolderOfTheSameGenerationKeepsIt() {
        XCTAssertEqual(Lease.decide(current: word(old, expiry: 6_000), me: oldPeer, nowMilliseconds: 5_000), .leave)
    }

    func testAnExpiredLeaseIsTakenByAnyone() {
        XCTAssertEqual(Lease.decide(current: word(old, expiry: 6_000), me: oldPeer, nowMilliseconds: 6_000), .take)
        XCTAssertEqual(Lease.decide(current: word(new, expiry: 6_000), me: old, nowMilliseconds: 7_000), .take)
    }

    func testANewerGenerationTakesOverFromAnOlderOneAtOnce() {
        XCTAssertEqual(Lease.decide(current: word(old, expiry: 9_000), me: new, nowMilliseconds: 5_000), .take)
    }

    func testAnOlderGenerationLeavesALiveNewerHolderAlone() {
        XCTAssertEqual(Lease.decide(current: word(new, expiry: 9_000), me: old, nowMilliseconds: 5_000), .leave)
    }

    func testGenerationsCompareAcrossTheWrap() {
        let beforeWrap = Lease.Holder(generation: 65_535, pid: 1)
        let afterWrap = Lease.Holder(generation: 65_536, pid: 2)
        XCTAssertTrue(afterWrap.isNewer(than: beforeWrap))
        XCTAssertFalse(beforeWrap.isNewer(than: afterWrap))
    }

    func testExpiryComparesAcrossTheClockWrap() {
        let nearWrap = Lease.clockMask - 100
        let expiry = nearWrap + 3_000  // wraps past 2^26 ms
        XCTAssertEqual(Lease.decide(current: word(old, expiry: expiry), me: oldPeer, nowMilliseconds: nearWrap), .leave)
        XCTAssertEqual(Lease.decide(current: word(old, expiry: expiry), me: oldPeer, nowMilliseconds: nearWrap + 3_000), .take)
    }

    func testALeaseReachingImplausiblyFarAheadIsStaleAndTaken() {
        XCTAssertEqual(Lease.decide(current: word(old, expiry: 5_000 + 600_000), me: oldPeer, nowMilliseconds: 5_000), .take)
    }

    func testWordRoundTripsAndIsNeverZero() {
        let state = Lease.State(holder: Lease.Holder(generation: 7, pid: 4_194_303), expiry: 12_345)
        XCTAssertEqual(Lease.decode(Lease.encode(state)), state)
        XCTAssertNotEqual(Lease.encode(Lease.State(holder: Lease.Holder(generation: 0, pid: 1), expiry: 0)), 0)
    }

    func testAcquireRenewAndReleaseOnSharedMemory() throws {
        let table = TargetHealthTable(segment: try SharedMemorySegment.anonymous())
        let lease = table.lease
        XCTAssertTrue(lease.acquireOrRenew(as: old, nowMilliseconds: 1_000, ttlMilliseconds: 300).holding)
        XCTAssertFalse(lease.acquireOrRenew(as: oldPeer, nowMilliseconds: 1_100, ttlMilliseconds: 300).holding)
        XCTAssertTrue(lease.acquireOrRenew(as: old, nowMilliseconds: 1_200, ttlMilliseconds: 300).holding, "renewed")
        XCTAssertFalse(lease.acquireOrRenew(as: oldPeer, nowMilliseconds: 1_450, ttlMilliseconds: 300).holding, "renewal extended it")
        let takeover = lease.acquireOrRenew(as: oldPeer, nowMilliseconds: 1_500, ttlMilliseconds: 300)
        XCTAssertTrue(takeover.holding, "the silent holder's lease expired")
        XCTAssertEqual(takeover.previous, old)
        XCTAssertFalse(lease.acquireOrRenew(as: old, nowMilliseconds: 1_600, ttlMilliseconds: 300).holding)
        lease.release(as: old)
        XCTAssertEqual(lease.currentHolder, oldPeer, "only the holder can release")
        lease.release(as: oldPeer)
        XCTAssertNil(lease.currentHolder)
    }
}
