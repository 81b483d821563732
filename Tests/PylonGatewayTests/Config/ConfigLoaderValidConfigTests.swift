import Foundation
import PylonGateway
import XCTest

final class ConfigLoaderValidConfigTests: XCTestCase {
    func testFullConfigLoadsIntoTheExpectedModel() throws {
        let yaml = """
            workers: 4
            drain_timeout: 45s
            listeners:
              - name: http
                address: "0.0.0.0:6191"
                backlog: 2048
              - name: v6
                address: "[::1]:6193"
            metrics:
              address: "127.0.0.1:6192"
              path: /stats
            upstreams:
              family:
                targets: ["127.0.0.1:9001", "backend.local:80"]
                balance: round_robin
                connect_timeout: 250ms
                read_timeout: 1.5s
                max_idle: 8
                idle_timeout: 2m
                retries: 0
              default:
                targets: ["[::1]:9002"]
            routes:
              - path_prefix: /login
                host: Example.COM
                upstream: default
                auth:
                  header: Authorization
                  equals_secret: password
                request_headers: {set: {Host: one.one.one.one}, add: {X-A: b}, remove: [X-Foo]}
                response_headers: {set: {X-Route: login}, add: {X-Count: 3}, remove: [X-Bar]}
              - path_prefix: /
                upstream: family
            request_headers: {set: {X-Gateway: pylon}, add: {X-Empty: ""}, remove: [X-Internal]}
            response_headers: {set: {Server: MyGateway}, remove: [alt-svc]}
            forwarding:
              x_forwarded_for: false
              x_forwarded_proto: false
              via: false
              preserve_host: false
            limits:
              max_request_line: 4KiB
              max_header_bytes: 16KB
              max_body: 0
              header_timeout: 5s
              idle_timeout: 1h
              body_timeout: 500us
              keepalive_requests: 500
              keepalive_time: 10m
            access_log:
              enabled: false
              format: json
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "full.yaml")

        let expected = GatewayConfig(
            workers: .fixed(4),
            drainTimeout: .seconds(45),
            listeners: [
                ListenerConfig(name: "http", address: HostAndPort(host: "0.0.0.0", port: 6191), backlog: 2048),
                ListenerConfig(name: "v6", address: HostAndPort(host: "::1", port: 6193)),
            ],
            metrics: MetricsConfig(address: HostAndPort(host: "127.0.0.1", port: 6192), path: "/stats"),
            upstreams: [
                UpstreamConfig(
                    name: "family",
                    targets: [HostAndPort(host: "127.0.0.1", port: 9001), HostAndPort(host: "backend.local", port: 80)],
                    balance: .roundRobin,
                    connectTimeout: .milliseconds(250),
                    readTimeout: .milliseconds(1500),
                    maxIdle: 8,
                    idleTimeout: .seconds(120),
                    retries: 0
                ),
                UpstreamConfig(name: "default", targets: [HostAndPort(host: "::1", port: 9002)]),
            ],
            routes: [
                RouteConfig(
                    pathPrefix: "/login",
                    host: "example.com",
                    upstream: "default",
                    auth: RouteAuth(header: "Authorization", secret: "password"),
                    requestHeaders: HeaderRules(
                        set: [HeaderField(name: "Host", value: "one.one.one.one")],
                        add: [HeaderField(name: "X-A", value: "b")],
                        remove: ["X-Foo"]
                    ),
                    responseHeaders: HeaderRules(
                        set: [HeaderField(name: "X-Route", value: "login")],
                        add: [HeaderField(name: "X-Count", value: "3")],
                        remove: ["X-Bar"]
                    )
                ),
                RouteConfig(pathPrefix: "/", upstream: "family"),
            ],
            requestHeaders: HeaderRules(
                set: [HeaderField(name: "X-Gateway", value: "pylon")],
                add: [HeaderField(name: "X-Empty", value: "")],
                remove: ["X-Internal"]
            ),
            responseHeaders: HeaderRules(set: [HeaderField(name: "Server", value: "MyGateway")], remove: ["alt-svc"]),
            forwarding: ForwardingConfig(xForwardedFor: false, xForwardedProto: false, via: false, preserveHost: false),
            limits: LimitsConfig(
                maxRequestLine: 4096,
                maxHeaderBytes: 16000,
                maxBody: nil,
                headerTimeout: .seconds(5),
                idleTimeout: .seconds(3600),
                bodyTimeout: .microseconds(500),
                keepaliveRequests: 500,
                keepaliveTime: .seconds(600)
            ),
            accessLog: AccessLogConfig(enabled: false, format: .json)
        )
        XCTAssertEqual(config, expected)
    }

    func testOmittedOptionalKeysTakeTheirDocumentedDefaults() throws {
        let config = try ConfigLoader.parse(yaml: minimalConfigYAML, file: "minimal.yaml")

        XCTAssertEqual(config.workers, .auto)
        XCTAssertEqual(config.drainTimeout, .seconds(30))
        XCTAssertEqual(config.listeners, [ListenerConfig(name: "http", address: HostAndPort(host: "0.0.0.0", port: 6191))])
        XCTAssertEqual(config.listeners.first?.backlog, 1024)
        XCTAssertNil(config.metrics)

        let upstream = try XCTUnwrap(config.upstream(named: "default"))
        XCTAssertEqual(upstream.balance, .roundRobin)
        XCTAssertEqual(upstream.connectTimeout, .seconds(2))
        XCTAssertEqual(upstream.readTimeout, .seconds(30))
        XCTAssertEqual(upstream.maxIdle, 64)
        XCTAssertEqual(upstream.idleTimeout, .seconds(60))
        XCTAssertEqual(upstream.retries, 1)

        let route = try XCTUnwrap(config.routes.first)
        XCTAssertNil(route.host)
        XCTAssertNil(route.auth)
        XCTAssertTrue(route.requestHeaders.isEmpty)
        XCTAssertTrue(route.responseHeaders.isEmpty)

        XCTAssertTrue(config.requestHeaders.isEmpty)
        XCTAssertTrue(config.responseHeaders.isEmpty)
        XCTAssertEqual(config.forwarding, ForwardingConfig(xForwardedFor: true, xForwardedProto: true, via: true, preserveHost: true))
        XCTAssertEqual(config.limits.maxRequestLine, 8 * 1024)
        XCTAssertEqual(config.limits.maxHeaderBytes, 32 * 1024)
        XCTAssertEqual(config.limits.maxBody, 64 * 1024 * 1024)
        XCTAssertEqual(config.limits.headerTimeout, .seconds(10))
        XCTAssertEqual(config.limits.idleTimeout, .seconds(60))
        XCTAssertEqual(config.limits.bodyTimeout, .seconds(60))
        XCTAssertNil(config.limits.keepaliveRequests, "no limit on requests per connection")
        XCTAssertNil(config.limits.keepaliveTime, "no limit on a connection's keep-alive time")
        XCTAssertEqual(config.accessLog, AccessLogConfig(enabled: true, format: .logfmt))
    }

    func testMetricsPathDefaultsToSlashMetrics() throws {
        let config = try ConfigLoader.parse(
            yaml: minimalConfigYAML + "metrics: {address: \"127.0.0.1:6192\"}\n", file: "metrics.yaml"
        )
        XCTAssertEqual(config.metrics, MetricsConfig(address: HostAndPort(host: "127.0.0.1", port: 6192), path: "/metrics"))
    }

    func testUpstreamsAndHeaderRulesKeepSourceOrder() throws {
        let yaml = """
            listeners: [{name: http, address: "0.0.0.0:80"}]
            upstreams:
              zeta: {targets: ["127.0.0.1:1"]}
              alpha: {targets: ["127.0.0.1:2"]}
              mid: {targets: ["127.0.0.1:3"]}
            routes: [{path_prefix: /, upstream: mid}]
            response_headers:
              set: {Z-One: "1", A-Two: "2", M-Three: "3"}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "order.yaml")
        XCTAssertEqual(config.upstreams.map(\.name), ["zeta", "alpha", "mid"])
        XCTAssertEqual(config.responseHeaders.set.map(\.name), ["Z-One", "A-Two", "M-Three"])
    }

    func testScalarsKeepTheirTextEvenWhenYAMLWouldReadThemAsNumbers() throws {
        let yaml = minimalConfigYAML + """
            response_headers:
              set: {X-Version: 1.10, X-Flag: true, X-Octal: 0755}

            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "scalars.yaml")
        XCTAssertEqual(config.responseHeaders.set.map(\.value), ["1.10", "true", "0755"])
    }

    func testLoadReadsAFileFromDisk() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("pylon-config-\(UUID().uuidString).yaml").path
        try minimalConfigYAML.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let config = try ConfigLoader.load(path: path)
        XCTAssertEqual(config.upstreams.map(\.name), ["default"])
    }

    func testRouteAuthDescriptionDoesNotRevealTheSecret() {
        let auth = RouteAuth(header: "Authorization", secret: "hunter2")
        XCTAssertFalse(String(describing: auth).contains("hunter2"))
        XCTAssertFalse(String(reflecting: auth).contains("hunter2"))
    }
}
