import NIOCore
import XCTest

@testable import PylonProxy

/// When an HTTP/2 upstream connection is PINGed, and when it is taken for dead.
final class HTTP2UpstreamLivenessTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func liveness() -> HTTP2UpstreamLiveness {
        HTTP2UpstreamLiveness(interval: .seconds(10), timeout: .seconds(4), now: start)
    }

    func testAConnectionThatKeepsBringingBytesIsNeverPinged() {
        var liveness = liveness()
        XCTAssertEqual(liveness.firstCheck, start + .seconds(10))
        liveness.noteRead(at: start + .seconds(7))
        XCTAssertEqual(liveness.step(at: start + .seconds(10)), .wait(until: start + .seconds(17)))
        liveness.noteRead(at: start + .seconds(16))
        XCTAssertEqual(liveness.step(at: start + .seconds(17)), .wait(until: start + .seconds(26)))
    }

    func testSilenceForTheIntervalSendsAPingAndSilenceThroughTheTimeoutIsDeath() {
        var liveness = liveness()
        XCTAssertEqual(liveness.step(at: start + .seconds(10)), .ping(thenCheckAt: start + .seconds(14)))
        XCTAssertEqual(liveness.step(at: start + .seconds(12)), .wait(until: start + .seconds(14)), "a timer that fired early")
        XCTAssertEqual(liveness.step(at: start + .seconds(14)), .dead)
    }

    func testAnythingReadAfterThePingKeepsTheConnection() {
        var liveness = liveness()
        XCTAssertEqual(liveness.step(at: start + .seconds(11)), .ping(thenCheckAt: start + .seconds(15)))
        liveness.noteRead(at: start + .seconds(12))  // the ACK, or any frame
        XCTAssertEqual(liveness.step(at: start + .seconds(15)), .wait(until: start + .seconds(22)))
        XCTAssertEqual(liveness.step(at: start + .seconds(22)), .ping(thenCheckAt: start + .seconds(26)))
    }
}
