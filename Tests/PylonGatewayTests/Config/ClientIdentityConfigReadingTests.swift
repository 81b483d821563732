import PylonGateway
import XCTest

/// `trusted_proxies`, listeners' `proxy_protocol` and `request_id`: defaults, valid values,
/// and every bad value reported at its own `line:col`.
final class ClientIdentityConfigReadingTests: XCTestCase {
    func testDefaultsTrustNobodyAndGenerateRequestIDs() throws {
        let config = try ConfigLoader.parse(yaml: minimalConfigYAML, file: "min.yaml")
        XCTAssertEqual(config.trustedProxies, [])
        XCTAssertEqual(config.listeners.map(\.proxyProtocol), [false])
        XCTAssertEqual(
            config.requestID,
            RequestIDConfig(enabled: true, header: "X-Request-Id", generate: true, trustIncoming: .trustedProxies)
        )
    }

    func testTrustedProxiesTakeAddressesAndRangesOfBothFamilies() throws {
        let config = try ConfigLoader.parse(yaml: """
            trusted_proxies: ["10.0.0.0/8", "127.0.0.1", "::1/128", "fd00::/8", "::1"]
            listeners:
              - {name: lb, address: "0.0.0.0:6191", proxy_protocol: true}
              - {name: direct, address: "0.0.0.0:6192", proxy_protocol: false}
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - {path_prefix: /, upstream: default}
            request_id: {header: X-Correlation-Id, generate: false, trust_incoming: always}
            """, file: "trusted.yaml")
        XCTAssertEqual(config.trustedProxies.map(\.description), ["10.0.0.0/8", "127.0.0.1/32", "::1/128", "fd00::/8", "::1/128"])
        XCTAssertEqual(config.listeners.map(\.proxyProtocol), [true, false])
        XCTAssertEqual(
            config.requestID, RequestIDConfig(enabled: true, header: "X-Correlation-Id", generate: false, trustIncoming: .always)
        )
    }

    func testBadTrustedProxiesAreReportedEachAtItsPosition() {
        let found = configProblems(in: minimalConfigYAML + """
            trusted_proxies:
              - 10.0.0.1/8
              - 10.0.0.0/33
              - "[::1]"
              - localhost
              - 10.0.0.0/8

            """)
        XCTAssertEqual(found.count, 4, "\(found)")
        assertConfigProblem(found, at: 11, 5, contains: "did you mean 10.0.0.0/8?")
        assertConfigProblem(found, at: 12, 5, contains: "prefix length from 0 to 32")
        assertConfigProblem(found, at: 13, 5, contains: "without brackets")
        assertConfigProblem(found, at: 14, 5, contains: "\"localhost\" is not an IP address")
    }

    func testTrustedProxiesMustBeAList() {
        let found = configProblems(in: minimalConfigYAML + "trusted_proxies: 10.0.0.0/8\n")
        assertConfigProblem(found, at: 10, 18, contains: "expected a list")
    }

    func testProxyProtocolWithoutTrustedProxiesIsRefused() {
        let found = configProblems(in: """
            listeners:
              - name: lb
                address: "0.0.0.0:6191"
                proxy_protocol: true
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - {path_prefix: /, upstream: default}

            """)
        assertConfigProblem(found, at: 4, 21, contains: "accepts connections only from trusted_proxies")
        XCTAssertEqual(found.count, 1, "\(found)")
    }

    func testProxyProtocolMustBeABool() {
        let found = configProblems(in: """
            trusted_proxies: [10.0.0.0/8]
            listeners:
              - {name: lb, address: "0.0.0.0:6191", proxy_protocol: v2}
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - {path_prefix: /, upstream: default}

            """)
        assertConfigProblem(found, at: 3, 57, contains: "expected true or false")
    }

    func testBadRequestIDSettingsAreReported() {
        let found = configProblems(in: minimalConfigYAML + """
            request_id:
              header: Content-Length
              generate: sometimes
              prefix: x
              trust_incoming: trusted

            """)
        assertConfigProblem(found, at: 11, 11, contains: "cannot carry request IDs")
        assertConfigProblem(found, at: 12, 13, contains: "expected true or false")
        assertConfigProblem(found, at: 13, 3, contains: "unknown key \"prefix\"")
        assertConfigProblem(
            found, at: 14, 19, contains: "\"trusted\" is not one of \"always\", \"trusted_proxies\", \"never\""
        )
        let notAScalar = configProblems(in: minimalConfigYAML + "request_id: {trust_incoming: [always]}\n")
        assertConfigProblem(notAScalar, at: 10, 30, contains: "expected one of")
        let badName = configProblems(in: minimalConfigYAML + "request_id: {header: \"X Request\"}\n")
        assertConfigProblem(badName, at: 10, 22, contains: "is not a valid header name")
    }

    func testRequestIDsCanBeTurnedOff() throws {
        let config = try ConfigLoader.parse(yaml: minimalConfigYAML + "request_id: {enabled: false}\n", file: "off.yaml")
        XCTAssertFalse(config.requestID.enabled)
    }
}
