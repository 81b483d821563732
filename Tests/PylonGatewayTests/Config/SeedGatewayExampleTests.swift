import Foundation
import PylonGateway
import XCTest

/// `examples/seed-gateway.yaml` is what newcomers copy and what `pylon demo` runs: it must load
/// and mean what its comments say.
final class SeedGatewayExampleTests: XCTestCase {
    private var examplePath: String {
        // Tests/PylonGatewayTests/Config/<this file> → the package root.
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("examples/seed-gateway.yaml")
            .path
    }

    func testSeedGatewayExampleLoadsIntoTheTutorialGateway() throws {
        let config = try ConfigLoader.load(path: examplePath)

        XCTAssertEqual(config.listeners, [ListenerConfig(name: "http", address: HostAndPort(host: "0.0.0.0", port: 6191))])
        XCTAssertEqual(config.metrics, MetricsConfig(address: HostAndPort(host: "127.0.0.1", port: 6192)))
        XCTAssertEqual(config.upstreams, [
            UpstreamConfig(name: "family", targets: [HostAndPort(host: "127.0.0.1", port: 9001)]),
            UpstreamConfig(name: "default", targets: [HostAndPort(host: "127.0.0.1", port: 9002)]),
        ])
        XCTAssertEqual(config.routes, [
            RouteConfig(
                pathPrefix: "/login", upstream: "default",
                auth: RouteAuth(header: "Authorization", secret: "password")
            ),
            RouteConfig(pathPrefix: "/family", upstream: "family"),
            RouteConfig(pathPrefix: "/", upstream: "default"),
        ])
        XCTAssertEqual(config.responseHeaders, HeaderRules(
            set: [HeaderField(name: "Server", value: "MyGateway")],
            remove: ["alt-svc"]
        ))
        XCTAssertTrue(config.requestHeaders.isEmpty)
        XCTAssertEqual(config.workers, .auto)
    }
}
