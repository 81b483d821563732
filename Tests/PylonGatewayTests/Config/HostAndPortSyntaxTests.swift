@testable import PylonGateway
import XCTest

final class HostAndPortSyntaxTests: XCTestCase {
    func testListenAddressesAcceptIPv4AndBracketedIPv6() throws {
        XCTAssertEqual(try HostAndPortSyntax.parse("0.0.0.0:6191", hostRule: .ipLiteral), HostAndPort(host: "0.0.0.0", port: 6191))
        XCTAssertEqual(try HostAndPortSyntax.parse("[::1]:80", hostRule: .ipLiteral), HostAndPort(host: "::1", port: 80))
        XCTAssertEqual(try HostAndPortSyntax.parse("[::]:65535", hostRule: .ipLiteral), HostAndPort(host: "::", port: 65535))
    }

    func testListenAddressesRejectHostNames() {
        XCTAssertThrowsError(try HostAndPortSyntax.parse("localhost:80", hostRule: .ipLiteral))
    }

    func testTargetsAcceptHostNames() throws {
        XCTAssertEqual(
            try HostAndPortSyntax.parse("backend.local:80", hostRule: .ipLiteralOrHostName),
            HostAndPort(host: "backend.local", port: 80)
        )
        XCTAssertEqual(
            try HostAndPortSyntax.parse("my_service:8080", hostRule: .ipLiteralOrHostName),
            HostAndPort(host: "my_service", port: 8080)
        )
    }

    func testPortMustBeFrom1To65535() {
        for text in ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1"] {
            XCTAssertThrowsError(try HostAndPortSyntax.parse(text, hostRule: .ipLiteral), text)
        }
    }

    func testMalformedHostsAreRejected() {
        for text in ["::1:80", "[::1]80", "[::1:80", "[nope]:80", "256.1.1.1:80", ":80", "-bad.example:80", "a b:80"] {
            XCTAssertThrowsError(try HostAndPortSyntax.parse(text, hostRule: .ipLiteralOrHostName), text)
        }
    }

    func testDescriptionBracketsIPv6() {
        XCTAssertEqual(HostAndPort(host: "::1", port: 80).description, "[::1]:80")
        XCTAssertEqual(HostAndPort(host: "10.0.0.1", port: 80).description, "10.0.0.1:80")
    }

    func testRouteHostIsLowercasedAndMustNotCarryAPort() throws {
        XCTAssertEqual(try RouteHostSyntax.parse("Example.COM"), "example.com")
        XCTAssertEqual(try RouteHostSyntax.parse("[::1]"), "[::1]")
        XCTAssertThrowsError(try RouteHostSyntax.parse("example.com:8080"))
        XCTAssertThrowsError(try RouteHostSyntax.parse("exa mple.com"))
    }
}
