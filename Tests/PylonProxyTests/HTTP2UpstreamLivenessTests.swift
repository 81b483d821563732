import NIOCore
import XCTest

@testable import PylonProxy

/// When an HTTP/2 upstream connection is PINGed, and when it is taken for dead.
final class HTTP2UpstreamLivenessTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private let interval = TimeAmount.seconds(10)

    func testAConnectionThatKeepsBringingBytesIsNeverPinged() {
        var liveness = HTTP2UpstreamLiveness(interval: interval, now: start)
        XCTAssertEqual(liveness.firstCheck, start + interval)
        liveness.noteRead(at: start + .seconds(7))
        XCTAssertEqual(liveness.step(at: start + interval), .wait(until: start + .seconds(17)))
        liveness.noteRead(at: start + .seconds(16))
        XCTAssertEqual(liveness.step(at: start + .seconds(17)), .wait(until: start + .seconds(26)))
    }

    func testSilenceForTheIntervalSendsAPingAndSilenceForAsLongAgainIsDeath() {
        var liveness = HTTP2UpstreamLiveness(interval: interval, now: start)
        XCTAssertEqual(liveness.step(at: start + interval), .ping(thenCheckAt: start + .seconds(20)))
        XCTAssertEqual(liveness.step(at: start + .seconds(15)), .wait(until: start + .seconds(20)), "a timer that fired early")
        XCTAssertEqual(liveness.step(at: start + .seconds(20)), .dead)
    }

    func testAnythingReadAfterThePingKeepsTheConnection() {
        var liveness = HTTP2UpstreamLiveness(interval: interval, now: start)
        XCTAssertEqual(liveness.step(at: start + .seconds(11)), .ping(thenCheckAt: start + .seconds(21)))
        liveness.noteRead(at: start + .seconds(12))  // the ACK, or any frame
        XCTAssertEqual(liveness.step(at: start + .seconds(21)), .wait(until: start + .seconds(22)))
        XCTAssertEqual(liveness.step(at: start + .seconds(22)), .ping(thenCheckAt: start + .seconds(32)))
    }
}
