import XCTest

@testable import PylonSupervisor

final class SystemdNotifierTests: XCTestCase {
    func testNotifyWithoutNotifySocketReportsNothingSent() {
        unsetenv("NOTIFY_SOCKET")
        XCTAssertFalse(SystemdNotifier().notify(["READY=1"]))
    }
}
