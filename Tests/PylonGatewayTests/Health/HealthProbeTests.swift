import NIOCore
import NIOPosix
import XCTest

@testable import PylonGateway

final class HealthProbeTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
    }

    private func probe(_ kind: HealthCheckConfig.Probe, port: Int, timeout: TimeAmount = .seconds(2)) throws -> HealthProbe.Outcome {
        try HealthProbe.run(
            kind, address: SocketAddress(ipAddress: "127.0.0.1", port: port), targetName: "127.0.0.1:\(port)",
            timeout: timeout, on: group.next()
        ).wait()
    }

    func testTCPProbeIsHealthyWhenTheConnectSucceeds() throws {
        let server = try ProbeTargetServer(group: group)
        defer { server.close() }
        XCTAssertEqual(try probe(.tcp, port: server.port), .healthy)
    }

    func testTCPProbeIsUnhealthyWhenRefused() throws {
        let port = try ProbeTargetServer.closedPort(group: group)
        guard case .unhealthy = try probe(.tcp, port: port) else { return XCTFail("a refused connect is unhealthy") }
    }

    func testHTTPProbeIsHealthyOnTheExpectedStatus() throws {
        let server = try ProbeTargetServer(group: group, httpStatus: .noContent)
        defer { server.close() }
        XCTAssertEqual(try probe(.http(path: "/healthz", expectStatus: 204, host: nil), port: server.port), .healthy)
    }

    func testHTTPProbeIsUnhealthyOnAnotherStatus() throws {
        let server = try ProbeTargetServer(group: group, httpStatus: .serviceUnavailable)
        defer { server.close() }
        XCTAssertEqual(
            try probe(.http(path: "/healthz", expectStatus: 200, host: nil), port: server.port),
            .unhealthy(reason: "status 503, expected 200")
        )
    }

    func testHTTPProbeTimesOutOnASilentTarget() throws {
        // Accepts, never answers.
        let server = try ProbeTargetServer(group: group)
        defer { server.close() }
        let started = NIODeadline.now()
        let outcome = try probe(.http(path: "/", expectStatus: 200, host: nil), port: server.port, timeout: .milliseconds(200))
        XCTAssertEqual(outcome, .unhealthy(reason: "no answer within \(TimeAmount.milliseconds(200))"))
        XCTAssertLessThan(NIODeadline.now() - started, .seconds(2))
    }
}
