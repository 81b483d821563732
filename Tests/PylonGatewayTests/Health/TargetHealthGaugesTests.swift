import NIOCore
import PylonProxy
import XCTest

@testable import PylonGateway

final class TargetHealthGaugesTests: XCTestCase {
    func testOneGaugePerTargetOneWhenServableZeroWhenDownOrEjected() throws {
        let table = TargetHealthTable(segment: try SharedMemorySegment.anonymous())
        let peers = try (1...3).map { try HTTPPeer(address: SocketAddress(ipAddress: "127.0.0.1", port: 9000 + $0)) }
        let upstream = UpstreamGroup(name: "api", peers: peers, retries: 0, table: table)
        _ = upstream.health[1].recordProbe(success: false, rise: 1, fall: 1)
        _ = upstream.health[2].recordPassiveFailure(threshold: 1, cooldownNanoseconds: 60_000_000_000, now: NIODeadline.now().uptimeNanoseconds)

        let text = String(decoding: TargetHealthGauges(upstreams: [upstream]).prometheusLines(), as: UTF8.self)
        XCTAssertEqual(text, """
            # HELP pylon_upstream_target_healthy Whether requests may go to the target: active check up and not passively ejected.
            # TYPE pylon_upstream_target_healthy gauge
            pylon_upstream_target_healthy{upstream="api",target="127.0.0.1:9001"} 1
            pylon_upstream_target_healthy{upstream="api",target="127.0.0.1:9002"} 0
            pylon_upstream_target_healthy{upstream="api",target="127.0.0.1:9003"} 0

            """)
    }

    func testNothingWithoutUpstreams() {
        XCTAssertEqual(TargetHealthGauges(upstreams: []).prometheusLines(), [])
    }
}
