import Atomics
import Dispatch
import XCTest

@testable import PylonGateway

/// `SharedMetricsTable`: series found by text in shared memory, so tables over the same
/// memory (other workers, other generations) add to the same words.
final class SharedMetricsTableTests: XCTestCase {
    private func table(_ segment: SharedMemorySegment) -> SharedMetricsTable {
        SharedMetricsTable(segment: segment)
    }

    private func key(_ name: String, _ labels: [(name: String, value: String)] = []) -> MetricSeriesKey {
        MetricSeriesKey(name: name, labels: labels)
    }

    private func value(of text: String, in table: SharedMetricsTable) -> SharedMetricsTable.Value? {
        table.samples().first { $0.text == text }?.value
    }

    func testTwoTablesOverOneSegmentSeeEachOthersCounts() throws {
        let segment = try SharedMemorySegment.anonymous()
        let first = table(segment)
        let second = table(segment)
        let requests = key("requests_total", [("route", "/")])
        try XCTUnwrap(first.series(requests, kind: .counter)).add(3)
        try XCTUnwrap(second.series(requests, kind: .counter)).add(4)
        XCTAssertEqual(value(of: #"requests_total{route="/"}"#, in: first), .counter(7))
        XCTAssertEqual(value(of: #"requests_total{route="/"}"#, in: second), .counter(7))
        XCTAssertEqual(first.samples().count, 1, "the second table found the first one's slot instead of claiming another")
    }

    func testTablesOverOneFileMappedTwiceShareCounts() throws {
        // Two mappings of one file are what two worker processes have.
        let path = NSTemporaryDirectory() + "pylon-shm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer {
            close(fd)
            unlink(path)
        }
        XCTAssertEqual(ftruncate(fd, off_t(SharedMemorySegment.byteCount)), 0)
        let first = table(try SharedMemorySegment(mapping: fd))
        let secondSegment = try SharedMemorySegment(mapping: fd)
        let second = table(secondSegment)
        try XCTUnwrap(first.series(key("hits_total"), kind: .counter)).add(5)
        try XCTUnwrap(second.series(key("hits_total"), kind: .counter)).add(1)
        XCTAssertEqual(value(of: "hits_total", in: second), .counter(6))
    }

    func testConcurrentIncrementsFromSeveralThreadsAreExact() throws {
        let segment = try SharedMemorySegment.anonymous()
        let tables = (0..<4).map { _ in table(segment) }
        let threads = 8
        let perThread = 20_000
        let hits = key("hits_total", [("kind", "a")])
        let latency = key("latency")
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            // Each thread looks the series up itself through its own table, racing the claim.
            let series = tables[thread % tables.count].series(hits, kind: .counter)!
            let histogram = tables[thread % tables.count].series(latency, kind: .histogram, bucketBounds: [10, 100])!
            for index in 0..<perThread {
                series.add()
                histogram.observe(nanoseconds: UInt64(index % 3) * 50)
            }
        }
        XCTAssertEqual(value(of: #"hits_total{kind="a"}"#, in: tables[0]), .counter(UInt64(threads * perThread)))
        guard case .histogram(_, let counts, _) = value(of: "latency", in: tables[1]) else {
            return XCTFail("no histogram")
        }
        XCTAssertEqual(counts.reduce(0, +), UInt64(threads * perThread))
        XCTAssertEqual(tables[2].samples().count, 2, "one slot per series, however many threads raced for it")
    }

    func testHistogramCountsEachObservationInTheFirstBucketWhoseBoundHoldsIt() throws {
        let table = table(try SharedMemorySegment.anonymous())
        let series = try XCTUnwrap(table.series(key("latency"), kind: .histogram, bucketBounds: [1_000, 5_000, 10_000]))
        for nanoseconds: UInt64 in [0, 1_000, 1_001, 5_000, 9_999, 10_000, 10_001, 1_000_000] {
            series.observe(nanoseconds: nanoseconds)
        }
        XCTAssertEqual(
            value(of: "latency", in: table),
            .histogram(bounds: [1_000, 5_000, 10_000], counts: [2, 2, 2, 2], sumNanoseconds: 1_037_001)
        )
    }

    func testAHistogramKeepsTheBoundsItsCreatorWrote() throws {
        let segment = try SharedMemorySegment.anonymous()
        _ = try XCTUnwrap(table(segment).series(key("latency"), kind: .histogram, bucketBounds: [10, 20]))
        // A later binary with other bounds records into the existing series with its bounds.
        let later = try XCTUnwrap(table(segment).series(key("latency"), kind: .histogram, bucketBounds: [15]))
        later.observe(nanoseconds: 12)
        XCTAssertEqual(value(of: "latency", in: table(segment)), .histogram(bounds: [10, 20], counts: [0, 1, 0], sumNanoseconds: 12))
    }

    func testLabelsInAnyOrderAreOneSeriesAndTheTextIsSortedAndEscaped() throws {
        let table = table(try SharedMemorySegment.anonymous())
        try XCTUnwrap(table.series(key("x_total", [("b", "2"), ("a", #"say "hi"\n"#)]), kind: .counter)).add()
        try XCTUnwrap(table.series(key("x_total", [("a", #"say "hi"\n"#), ("b", "2")]), kind: .counter)).add()
        XCTAssertEqual(table.samples().map(\.text), [#"x_total{a="say \"hi\"\\n",b="2"}"#])
        XCTAssertEqual(table.samples().first?.value, .counter(2))
    }

    func testGaugesAreSetAndRaisedButNeverLoweredByRaise() throws {
        let table = table(try SharedMemorySegment.anonymous())
        let gauge = try XCTUnwrap(table.series(key("generation"), kind: .gauge))
        gauge.raise(to: 3)
        gauge.raise(to: 2)
        XCTAssertEqual(value(of: "generation", in: table), .gauge(3))
        gauge.set(1.5)
        XCTAssertEqual(value(of: "generation", in: table), .gauge(1.5))
    }

    func testTheSameTextAsAnotherKindIsAnotherSlot() throws {
        let table = table(try SharedMemorySegment.anonymous())
        let counter = try XCTUnwrap(table.series(key("thing"), kind: .counter))
        let gauge = try XCTUnwrap(table.series(key("thing"), kind: .gauge))
        XCTAssertNotEqual(counter, gauge)
    }

    func testAFullTableDropsNewSeriesCountsThemAndKeepsServingTheOldOnes() throws {
        let slots = 4
        let region = UnsafeMutableRawBufferPointer.allocate(
            byteCount: SharedMetricsTable.headerByteCount + slots * SharedMetricsTable.slotByteCount, alignment: 8
        )
        region.initializeMemory(as: UInt8.self, repeating: 0)
        defer { region.deallocate() }
        let table = SharedMetricsTable(region: region, hashKey: (1, 2))
        XCTAssertEqual(table.slotCount, slots)
        let kept = try (0..<slots).map { try XCTUnwrap(table.series(key("s\($0)"), kind: .counter)) }
        XCTAssertNil(table.series(key("one_too_many"), kind: .counter))
        XCTAssertNil(table.series(key("another"), kind: .gauge))
        XCTAssertEqual(table.droppedSeries, 2)
        // Every existing series is still found and counts.
        for index in 0..<slots {
            XCTAssertEqual(table.series(key("s\(index)"), kind: .counter), kept[index])
            kept[index].add()
        }
        XCTAssertEqual(table.samples().map(\.value), Array(repeating: .counter(1), count: slots))
        XCTAssertEqual(table.droppedSeries, 2)
    }

    func testTextLongerThanASlotHoldsIsDropped() throws {
        let table = table(try SharedMemorySegment.anonymous())
        let long = String(repeating: "r", count: SharedMetricsTable.maximumTextLength)
        XCTAssertNil(table.series(key("x", [("route", long)]), kind: .counter))
        XCTAssertEqual(table.droppedSeries, 1)
        XCTAssertEqual(table.samples(), [])
    }

    func testAClaimNeverPublishedIsNotRenderedAndTheSeriesGetsAnotherSlot() throws {
        let segment = try SharedMemorySegment.anonymous()
        let table = table(segment)
        let text = "abandoned_total"
        // What a process killed between claiming a slot and publishing it leaves behind: the
        // series' tag in its home slot, no descriptor.
        let hash = SipHash.hash(Array(text.utf8), key: segment.hashKey)
        let home = segment.metrics.baseAddress! + SharedMetricsTable.headerByteCount
            + Int(hash % UInt64(table.slotCount)) * SharedMetricsTable.slotByteCount
        SharedMetricsTable.word(home, SharedMetricsTable.tagWord).store(hash | 1, ordering: .relaxed)
        XCTAssertEqual(table.samples(), [])

        let series = try XCTUnwrap(table.series(key(text), kind: .counter))
        XCTAssertNotEqual(series.slot, home)
        series.add()
        XCTAssertEqual(table.samples(), [.init(text: text, value: .counter(1))])
    }
}
