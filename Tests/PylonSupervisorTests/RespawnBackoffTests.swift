import PylonSupervisor
import XCTest

final class RespawnBackoffTests: XCTestCase {
    func testDoublesFrom100MillisecondsUpTo30Seconds() {
        let delays = (1...12).map { RespawnBackoff.delayMilliseconds(consecutiveCrashes: $0) }
        XCTAssertEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000])
        XCTAssertEqual(RespawnBackoff.delayMilliseconds(consecutiveCrashes: 1000), 30000)
    }

    func testSixtySecondsHealthyResetsTheSequence() {
        XCTAssertEqual(RespawnBackoff.consecutiveCrashes(previous: 0, uptimeMilliseconds: 5), 1)
        XCTAssertEqual(RespawnBackoff.consecutiveCrashes(previous: 7, uptimeMilliseconds: 59_999), 8)
        XCTAssertEqual(RespawnBackoff.consecutiveCrashes(previous: 7, uptimeMilliseconds: 60_000), 1)
    }
}
