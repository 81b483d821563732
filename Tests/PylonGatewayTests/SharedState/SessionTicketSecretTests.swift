import Foundation
import Synchronization
import XCTest

@testable import PylonGateway

/// The TLS session-ticket secret in the shared segment: set once, by whichever process asks
/// first, and the same for every process that maps the segment.
final class SessionTicketSecretTests: XCTestCase {
    func testEveryMappingOfOneSegmentReadsTheSameRandomSecret() throws {
        // Two mappings of one file are what two worker processes (or two generations) have.
        let path = NSTemporaryDirectory() + "pylon-shm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer {
            close(fd)
            unlink(path)
        }
        XCTAssertEqual(ftruncate(fd, off_t(SharedMemorySegment.byteCount)), 0)
        let first = try SharedMemorySegment(mapping: fd).sessionTicketSecret()
        let second = try SharedMemorySegment(mapping: fd).sessionTicketSecret()
        XCTAssertEqual(first.count, 32)
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first, [UInt8](repeating: 0, count: 32))
    }

    func testASecondRequestReturnsTheSecretUnchanged() throws {
        let segment = try SharedMemorySegment.anonymous()
        XCTAssertEqual(segment.sessionTicketSecret(), segment.sessionTicketSecret())
    }

    func testEachSegmentHasItsOwnSecret() throws {
        XCTAssertNotEqual(
            try SharedMemorySegment.anonymous().sessionTicketSecret(), try SharedMemorySegment.anonymous().sessionTicketSecret()
        )
    }

    func testRacersSettingTheSecretAtOnceAllEndUpWithTheSameOne() throws {
        // Threads over one mapping race the same compare-and-swaps as processes over theirs.
        for _ in 0..<20 {
            let segment = try SharedMemorySegment.anonymous()
            let seen = Mutex<[[UInt8]]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                let secret = segment.sessionTicketSecret()
                seen.withLock { $0.append(secret) }
            }
            XCTAssertEqual(seen.withLock { Set($0).count }, 1, "every racer read the words the first offers set")
        }
    }

    func testTheSecretLivesInTheHeaderPagePastTheHeaderWords() {
        // A segment made before the secret existed has zeros there (read as "not set"), so
        // an upgrade from such a binary keeps the segment and its counts.
        let region = SharedMemorySegment.sessionTicketSecretRegion
        let header = SharedMemorySegment.headerRegion
        XCTAssertGreaterThanOrEqual(region.offset, 5 * 8, "the header's own words end at byte 40")
        XCTAssertLessThanOrEqual(region.offset + region.byteCount, header.offset + header.byteCount)
    }
}
