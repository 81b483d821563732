import NIOCore
import XCTest

@testable import PylonProxy

/// `HeadBufferCache`: a buffer given back is reused without a new allocation, and a buffer
/// something else still holds (a write not yet done) keeps its bytes.
final class HeadBufferCacheTests: XCTestCase {
    private let allocator = ByteBufferAllocator()

    private static func baseAddress(of buffer: ByteBuffer) -> UInt {
        buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }

    func testARecycledBufferNoLongerHeldElsewhereIsReusedEmpty() {
        let cache = HeadBufferCache()
        // An odd capacity marks the buffer: a fresh one for 300 bytes would be smaller.
        var first = cache.buffer(capacity: 5000, allocator: self.allocator)
        first.writeString("HTTP/1.1 200 OK\r\n\r\n")
        let address = Self.baseAddress(of: first)
        cache.recycle(first)
        first = ByteBuffer()  // the channel wrote it and let go

        let second = cache.buffer(capacity: 300, allocator: self.allocator)
        XCTAssertEqual(second.readableBytes, 0)
        XCTAssertGreaterThanOrEqual(second.capacity, 5000, "the recycled buffer, not a fresh one")
        XCTAssertEqual(Self.baseAddress(of: second), address, "the same memory, no new allocation")
    }

    func testTheOldestBufferGivenBackIsHandedOutFirst() {
        // Two heads of one tick, each given back while its channel still holds it (the
        // flushes wait for the tick's end); then the first one's channel writes it and
        // lets go, and the second's has not yet.
        let cache = HeadBufferCache()
        var first: ByteBuffer? = cache.buffer(capacity: 64, allocator: self.allocator)
        var second = cache.buffer(capacity: 64, allocator: self.allocator)
        first!.writeString("GET /1 HTTP/1.1\r\n\r\n")
        second.writeString("GET /2 HTTP/1.1\r\n\r\n")
        let address = Self.baseAddress(of: first!)
        cache.recycle(first!)
        cache.recycle(second)
        first = nil

        XCTAssertEqual(
            Self.baseAddress(of: cache.buffer(capacity: 64, allocator: self.allocator)), address,
            "the buffer given back first and let go, reused, not the one a channel still holds"
        )
        XCTAssertEqual(second.getString(at: 0, length: second.readableBytes), "GET /2 HTTP/1.1\r\n\r\n")
    }

    func testABufferStillHeldKeepsItsBytesWhenTheCacheHandsItOut() {
        let cache = HeadBufferCache()
        var pending = cache.buffer(capacity: 64, allocator: self.allocator)
        pending.writeString("GET / HTTP/1.1\r\n\r\n")
        cache.recycle(pending)  // `pending` plays the channel's unwritten copy

        var next = cache.buffer(capacity: 64, allocator: self.allocator)
        next.writeString("HTTP/1.1 404 Not Found\r\n\r\n")
        XCTAssertEqual(pending.getString(at: 0, length: pending.readableBytes), "GET / HTTP/1.1\r\n\r\n")
        XCTAssertNotEqual(Self.baseAddress(of: next), Self.baseAddress(of: pending))
    }

    func testAHandedOutBufferGrowsToTheCapacityAsked() {
        let cache = HeadBufferCache()
        cache.recycle(self.allocator.buffer(capacity: 64))
        XCTAssertGreaterThanOrEqual(cache.buffer(capacity: 2000, allocator: self.allocator).capacity, 2000)
    }

    func testLargeBuffersAreNotKept() {
        let cache = HeadBufferCache()
        var large = self.allocator.buffer(capacity: 64 * 1024)
        cache.recycle(large)
        large = ByteBuffer()  // written and let go: kept, it would come back unchanged
        XCTAssertLessThan(cache.buffer(capacity: 100, allocator: self.allocator).capacity, 64 * 1024)
    }
}
