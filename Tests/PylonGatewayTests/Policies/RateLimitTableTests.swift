import Atomics
import Dispatch
import Foundation
import Glibc
import XCTest

@testable import PylonGateway

/// `RateLimitTable`: GCRA buckets in shared memory give exactly `burst + rate·t`, however
/// many threads or mappings use them, and stay within their fixed region under a flood.
final class RateLimitTableTests: XCTestCase {
    /// 10/s with burst 20, the seed gateway's limit.
    private let seedLimit = BucketLimit(interval: 100_000, burst: 20)
    /// An arbitrary monotonic time, well past zero like a real uptime.
    private let start: UInt64 = 5_000_000_000

    private func makeTable() throws -> RateLimitTable {
        RateLimitTable(segment: try SharedMemorySegment.anonymous())
    }

    func testABurstIsAllowedAtOnceAndThenOneRequestPerInterval() throws {
        let table = try makeTable()
        let allowedAtOnce = (0..<30).filter { _ in table.acquire(key: 42, limit: seedLimit, now: start).allowed }.count
        XCTAssertEqual(allowedAtOnce, 20, "the whole burst and not one more")
        XCTAssertFalse(table.acquire(key: 42, limit: seedLimit, now: start + 99_999).allowed, "one microsecond short of the interval")
        XCTAssertTrue(table.acquire(key: 42, limit: seedLimit, now: start + 100_000).allowed, "one interval later, one more")
        XCTAssertFalse(table.acquire(key: 42, limit: seedLimit, now: start + 100_000).allowed)
        XCTAssertTrue(table.acquire(key: 43, limit: seedLimit, now: start).allowed, "another key has a bucket of its own")
    }

    func testAClientSendingAtTenTimesTheRateGetsExactlyBurstPlusRateTimesElapsed() throws {
        let table = try makeTable()
        var allowed = 0
        // 100 requests per second for 5 s against 10/s with burst 20.
        for request in 0..<500 {
            let elapsed = UInt64(request) * 10_000
            if table.acquire(key: 7, limit: seedLimit, now: start + elapsed).allowed { allowed += 1 }
            let expected = min(request + 1, 20 + Int(elapsed / 100_000))
            XCTAssertEqual(allowed, expected, "after \(request + 1) requests in \(elapsed) µs")
        }
        XCTAssertEqual(allowed, 69, "20 + 10 × 4.99 s, rounded down")
    }

    func testAQuietClientRefillsToTheBurstAndNoFurther() throws {
        let table = try makeTable()
        for _ in 0..<20 { XCTAssertTrue(table.acquire(key: 1, limit: seedLimit, now: start).allowed) }
        // An hour later the bucket is full again: 20, not 36,000.
        let later = start + 3_600_000_000
        let allowed = (0..<100).filter { _ in table.acquire(key: 1, limit: seedLimit, now: later).allowed }.count
        XCTAssertEqual(allowed, 20)
    }

    func testDecisionsSayWhatIsLeftAndHowLongToWait() throws {
        let table = try makeTable()
        let first = table.acquire(key: 9, limit: seedLimit, now: start)
        XCTAssertEqual(first, RateLimitDecision(allowed: true, remaining: 19, waitMicroseconds: 100_000))
        XCTAssertEqual(first.waitSeconds, 1, "full again in 0.1 s, rounded up")
        for _ in 0..<19 { _ = table.acquire(key: 9, limit: seedLimit, now: start) }
        let refused = table.acquire(key: 9, limit: seedLimit, now: start + 30_000)
        XCTAssertEqual(refused, RateLimitDecision(allowed: false, remaining: 0, waitMicroseconds: 70_000))
        XCTAssertEqual(refused.waitSeconds, 1, "Retry-After is at least 1 s, never 0")

        // One per minute: a refusal a second after the first request waits 59 s.
        let slow = BucketLimit(rate: RequestRate(requests: 1, per: .minute), burst: 1)
        XCTAssertTrue(table.acquire(key: 10, limit: slow, now: start).allowed)
        XCTAssertEqual(table.acquire(key: 10, limit: slow, now: start + 1_000_000).waitSeconds, 59)
        XCTAssertEqual(table.acquire(key: 10, limit: slow, now: start + 58_500_000).waitSeconds, 2, "1.5 s rounds up")
        XCTAssertEqual(table.acquire(key: 10, limit: slow, now: start + 59_999_999).waitSeconds, 1)
        XCTAssertTrue(table.acquire(key: 10, limit: slow, now: start + 60_000_000).allowed)
    }

    func testRatesAreConvertedToIntervalsExactly() {
        XCTAssertEqual(BucketLimit(rate: RequestRate(requests: 10, per: .second), burst: 20).interval, 100_000)
        XCTAssertEqual(BucketLimit(rate: RequestRate(requests: 600, per: .minute), burst: 10).interval, 100_000)
        XCTAssertEqual(BucketLimit(rate: RequestRate(requests: 1000, per: .hour), burst: 1).interval, 3_600_000)
        XCTAssertEqual(BucketLimit(rate: RequestRate(requests: 3, per: .second), burst: 1).interval, 333_333)
        XCTAssertEqual(BucketLimit(rate: RequestRate(requests: 1_000_000, per: .second), burst: 1).interval, 1)
    }

    func testManyThreadsHammeringOneKeyGetExactlyTheAllowance() throws {
        let table = try makeTable()
        let limit = BucketLimit(interval: 1_000, burst: 500)
        let allowed = ManagedAtomic(0)
        var now = start
        for phase in 0..<6 {
            // Eight threads, 4,000 attempts in all, at one instant: exactly what the bucket holds.
            let instant = now
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                for _ in 0..<500 where table.acquire(key: 0xfeed, limit: limit, now: instant).allowed {
                    allowed.wrappingIncrement(ordering: .relaxed)
                }
            }
            XCTAssertEqual(allowed.load(ordering: .relaxed), 500 + 37 * phase, "phase \(phase)")
            now += 37 * 1_000
        }
    }

    func testManyThreadsWithManyKeysEachGetExactlyTheirAllowance() throws {
        let table = try makeTable()
        let limit = BucketLimit(interval: 1_000, burst: 50)
        let counts = (0..<64).map { _ in ManagedAtomic(0) }
        let start = self.start
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for attempt in 0..<(64 * 100) {
                let key = (attempt + thread * 7) % 64
                if table.acquire(key: UInt64(key) &* 0x9E37_79B9_7F4A_7C15, limit: limit, now: start).allowed {
                    counts[key].wrappingIncrement(ordering: .relaxed)
                }
            }
        }
        XCTAssertEqual(counts.map { $0.load(ordering: .relaxed) }, Array(repeating: 50, count: 64))
    }

    func testTwoMappingsOfOneSegmentShareTheBuckets() throws {
        // Two mappings of one file at different addresses, as two worker processes have.
        let path = NSTemporaryDirectory() + "pylon-rate-limit-\(getpid())-\(UUID().uuidString)"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        unlink(path)
        defer { close(fd) }
        XCTAssertEqual(ftruncate(fd, off_t(SharedMemorySegment.byteCount)), 0)
        let first = try SharedMemorySegment(mapping: fd)
        let second = try SharedMemorySegment(mapping: fd)
        XCTAssertEqual(first.hashKey.0, second.hashKey.0)
        XCTAssertNotEqual(first.rateLimits.baseAddress, second.rateLimits.baseAddress)
        let one = RateLimitTable(segment: first)
        let other = RateLimitTable(segment: second)

        for _ in 0..<15 { XCTAssertTrue(one.acquire(key: 77, limit: seedLimit, now: start).allowed) }
        let seen = other.acquire(key: 77, limit: seedLimit, now: start)
        XCTAssertTrue(seen.allowed)
        XCTAssertEqual(seen.remaining, 4, "the second mapping sees the 15 requests made through the first")
        let more = (0..<10).filter { _ in other.acquire(key: 77, limit: seedLimit, now: start).allowed }.count
        XCTAssertEqual(more, 4)
        XCTAssertFalse(one.acquire(key: 77, limit: seedLimit, now: start).allowed)
    }

    func testAMillionDistinctClientsStayInTheFixedTableAndAHotClientIsStillLimited() throws {
        let segment = try SharedMemorySegment.anonymous()
        let table = RateLimitTable(segment: segment)
        XCTAssertEqual(table.slotCount * 16, segment.rateLimits.count, "the table is the region, no more")
        let hot: UInt64 = 0xC0FF_EE00_1234_5678

        // The hot client exhausts its bucket, then a million other clients arrive at the
        // same instant: far more than the table's 524,288 slots, so buckets are evicted —
        // the ones nearest to full, never the hot client's.
        for _ in 0..<20 { XCTAssertTrue(table.acquire(key: hot, limit: seedLimit, now: start).allowed) }
        var floodAllowed = 0
        for client in 0..<1_000_000 where table.acquire(key: Self.scrambled(client), limit: seedLimit, now: start).allowed {
            floodAllowed += 1
        }
        XCTAssertEqual(floodAllowed, 1_000_000, "each new client's first request is allowed")
        XCTAssertLessThanOrEqual(table.occupiedSlotCount(), table.slotCount)
        XCTAssertFalse(table.acquire(key: hot, limit: seedLimit, now: start).allowed, "the flood did not reset the hot client's bucket")
        XCTAssertTrue(table.acquire(key: hot, limit: seedLimit, now: start + 100_000).allowed)
        XCTAssertFalse(table.acquire(key: hot, limit: seedLimit, now: start + 100_000).allowed)

        // A second million while time runs (10 µs per request) and the hot client sends at
        // twice its rate (every 50 ms): it gets exactly what a table of its own would give.
        var now = start + 10_000_000
        var hotAllowed = 0
        var hotSent = 0
        for client in 1_000_000..<2_000_000 {
            now += 10
            _ = table.acquire(key: Self.scrambled(client), limit: seedLimit, now: now)
            if client % 5_000 == 0 {
                hotSent += 1
                if table.acquire(key: hot, limit: seedLimit, now: now).allowed { hotAllowed += 1 }
            }
        }
        // 10 s later the bucket was full (20), then 200 requests over 10 s at 10/s.
        let elapsed = UInt64(199 * 50_000)
        XCTAssertEqual(hotSent, 200)
        XCTAssertEqual(hotAllowed, 20 + Int(elapsed / 100_000))
    }

    /// Distinct, well-spread 64-bit keys, as SipHash would give (splitmix64).
    private static func scrambled(_ value: Int) -> UInt64 {
        var z = UInt64(value) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
