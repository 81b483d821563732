import XCTest

@testable import PylonGateway

final class ActiveHealthStateTests: XCTestCase {
    func testTheAllZeroWordIsUpWithNoStreak() {
        XCTAssertEqual(ActiveHealthState(word: 0), ActiveHealthState(isDown: false, successes: 0, failures: 0))
    }

    func testWordRoundTrips() {
        for state in [
            ActiveHealthState(isDown: true, successes: 0, failures: 7),
            ActiveHealthState(isDown: false, successes: 12, failures: 0),
            ActiveHealthState(isDown: true, successes: (1 << 31) - 1, failures: .max),
        ] {
            XCTAssertEqual(ActiveHealthState(word: state.word), state)
        }
    }

    func testAnUpTargetGoesDownAfterFallConsecutiveFailures() {
        var state = ActiveHealthState()
        XCTAssertNil(state.record(success: false, rise: 2, fall: 3))
        XCTAssertNil(state.record(success: false, rise: 2, fall: 3))
        XCTAssertFalse(state.isDown)
        XCTAssertEqual(state.record(success: false, rise: 2, fall: 3), .wentDown)
        XCTAssertTrue(state.isDown)
        XCTAssertNil(state.record(success: false, rise: 2, fall: 3), "already down: no second transition")
    }

    func testASuccessInBetweenRestartsTheFailureCount() {
        var state = ActiveHealthState()
        _ = state.record(success: false, rise: 2, fall: 3)
        _ = state.record(success: false, rise: 2, fall: 3)
        _ = state.record(success: true, rise: 2, fall: 3)
        XCTAssertNil(state.record(success: false, rise: 2, fall: 3))
        XCTAssertNil(state.record(success: false, rise: 2, fall: 3))
        XCTAssertFalse(state.isDown)
    }

    func testADownTargetComesUpAfterRiseConsecutiveSuccesses() {
        var state = ActiveHealthState(isDown: true)
        XCTAssertNil(state.record(success: true, rise: 2, fall: 3))
        XCTAssertTrue(state.isDown)
        XCTAssertEqual(state.record(success: true, rise: 2, fall: 3), .cameUp)
        XCTAssertFalse(state.isDown)
    }

    func testAFailureInBetweenRestartsTheRiseCount() {
        var state = ActiveHealthState(isDown: true)
        _ = state.record(success: true, rise: 2, fall: 3)
        _ = state.record(success: false, rise: 2, fall: 3)
        XCTAssertNil(state.record(success: true, rise: 2, fall: 3))
        XCTAssertEqual(state.record(success: true, rise: 2, fall: 3), .cameUp)
    }

    func testThresholdsOfOneFlipOnTheFirstResult() {
        var state = ActiveHealthState()
        XCTAssertEqual(state.record(success: false, rise: 1, fall: 1), .wentDown)
        XCTAssertEqual(state.record(success: true, rise: 1, fall: 1), .cameUp)
    }
}
