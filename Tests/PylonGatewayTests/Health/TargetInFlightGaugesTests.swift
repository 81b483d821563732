import NIOCore
import PylonProxy
import XCTest

@testable import PylonGateway

final class TargetInFlightGaugesTests: XCTestCase {
    private func peers(_ ports: ClosedRange<Int>) throws -> [HTTPPeer] {
        try ports.map { try HTTPPeer(address: SocketAddress(ipAddress: "127.0.0.1", port: $0)) }
    }

    func testOneGaugePerTargetOfUpstreamsThatCountRequestsInFlight() throws {
        let table = TargetHealthTable(segment: try SharedMemorySegment.anonymous())
        let least = UpstreamGroup(name: "api", peers: try self.peers(9001...9002), retries: 0, table: table, balance: .leastConnections)
        let two = UpstreamGroup(name: "img", peers: try self.peers(9003...9003), retries: 0, table: table, balance: .powerOfTwo)
        let roundRobin = UpstreamGroup(name: "web", peers: try self.peers(9004...9004), retries: 0, table: table)
        least.beginRequest(1)
        least.beginRequest(1)
        two.beginRequest(0)
        two.endRequest(0)

        let text = String(decoding: TargetInFlightGauges(upstreams: [least, roundRobin, two]).prometheusLines(), as: UTF8.self)
        XCTAssertEqual(text, """
            # HELP pylon_upstream_target_in_flight Requests in flight to the target across all workers (least_connections and power_of_two upstreams).
            # TYPE pylon_upstream_target_in_flight gauge
            pylon_upstream_target_in_flight{upstream="api",target="127.0.0.1:9001"} 0
            pylon_upstream_target_in_flight{upstream="api",target="127.0.0.1:9002"} 2
            pylon_upstream_target_in_flight{upstream="img",target="127.0.0.1:9003"} 0

            """)
    }

    func testNothingWhenNoUpstreamCountsRequestsInFlight() throws {
        let table = TargetHealthTable(segment: try SharedMemorySegment.anonymous())
        let roundRobin = UpstreamGroup(name: "web", peers: try self.peers(9001...9001), retries: 0, table: table)
        XCTAssertEqual(TargetInFlightGauges(upstreams: [roundRobin]).prometheusLines(), [])
    }
}
