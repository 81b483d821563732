import NIOCore
import XCTest

@testable import PylonGateway

/// `IPAddress` parsing and `IPNetwork` membership, IPv4 and IPv6, including IPv4-mapped
/// IPv6 addresses matching IPv4 ranges.
final class IPNetworkMatchingTests: XCTestCase {
    private func address(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> IPAddress {
        guard let address = IPAddress(text) else {
            XCTFail("\(text) did not parse", file: file, line: line)
            return IPAddress(high: 0, low: 0)
        }
        return address
    }

    private func network(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> IPNetwork {
        try IPNetworkSyntax.parse(text)
    }

    func testAddressesParseStrictlyAndPrintCanonically() {
        XCTAssertEqual(address("203.0.113.7").description, "203.0.113.7")
        XCTAssertEqual(address("0.0.0.0").description, "0.0.0.0")
        XCTAssertEqual(address("255.255.255.255").description, "255.255.255.255")
        XCTAssertEqual(address("2001:DB8:0:0:0:0:0:1").description, "2001:db8::1")
        XCTAssertEqual(address("::1").description, "::1")
        XCTAssertEqual(address("::").description, "::")
        XCTAssertEqual(address("::ffff:10.1.2.3").description, "10.1.2.3", "mapped IPv4 is IPv4")
        XCTAssertEqual(address("::ffff:10.1.2.3"), address("10.1.2.3"))
        XCTAssertTrue(address("10.1.2.3").isIPv4)
        XCTAssertFalse(address("::1").isIPv4)
        for bad in [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
            "1.2.3.-4", "a.b.c.d", "[::1]", "::1%eth0", "1.2.3.4:80", "2001:db8:::1", "unknown",
            "1:2:3:4:5:6:7:8:9", String(repeating: "1", count: 60),
        ] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testIPv4RangesContainExactlyTheirAddresses() throws {
        let tenSlash8 = try network("10.0.0.0/8")
        XCTAssertTrue(tenSlash8.contains(address("10.0.0.0")))
        XCTAssertTrue(tenSlash8.contains(address("10.255.255.255")))
        XCTAssertFalse(tenSlash8.contains(address("11.0.0.0")))
        XCTAssertFalse(tenSlash8.contains(address("9.255.255.255")))
        XCTAssertTrue(tenSlash8.contains(address("::ffff:10.9.9.9")), "a dual-stack socket's mapped peer")
        XCTAssertFalse(tenSlash8.contains(address("::a09:909")), "IPv4-compatible is not IPv4-mapped")

        let slash23 = try network("192.168.2.0/23")
        XCTAssertTrue(slash23.contains(address("192.168.3.255")))
        XCTAssertFalse(slash23.contains(address("192.168.4.0")))
        XCTAssertFalse(slash23.contains(address("192.168.1.255")))

        let single = try network("127.0.0.1")
        XCTAssertTrue(single.contains(address("127.0.0.1")))
        XCTAssertFalse(single.contains(address("127.0.0.2")))
        XCTAssertEqual(single.description, "127.0.0.1/32")

        let everything4 = try network("0.0.0.0/0")
        XCTAssertTrue(everything4.contains(address("1.2.3.4")))
        XCTAssertFalse(everything4.contains(address("2001:db8::1")), "an IPv4 range holds no IPv6 addresses")
    }

    func testIPv6RangesContainExactlyTheirAddresses() throws {
        let ula = try network("fd00::/8")
        XCTAssertTrue(ula.contains(address("fd12:3456::1")))
        XCTAssertFalse(ula.contains(address("fe00::1")))
        let slash64 = try network("2001:db8:1:2::/64")
        XCTAssertTrue(slash64.contains(address("2001:db8:1:2:ffff:ffff:ffff:ffff")))
        XCTAssertFalse(slash64.contains(address("2001:db8:1:3::")))
        let slash65 = try network("2001:db8::8000:0:0:0/65")
        XCTAssertTrue(slash65.contains(address("2001:db8::ffff:0:0:1")))
        XCTAssertFalse(slash65.contains(address("2001:db8::7fff:0:0:1")))
        let loopback = try network("::1/128")
        XCTAssertTrue(loopback.contains(address("::1")))
        XCTAssertFalse(loopback.contains(address("::2")))
        XCTAssertTrue(try network("::/0").contains(address("10.0.0.1")), "::/0 is every address")
        XCTAssertEqual(ula.description, "fd00::/8")
    }

    func testBadRangesExplainThemselves() {
        func message(_ text: String) -> String {
            do {
                _ = try IPNetworkSyntax.parse(text)
                return "parsed"
            } catch {
                return error.message
            }
        }
        XCTAssertTrue(message("10.0.0.1/8").contains("did you mean 10.0.0.0/8?"), message("10.0.0.1/8"))
        XCTAssertTrue(message("fd00::1/8").contains("did you mean fd00::/8?"), message("fd00::1/8"))
        XCTAssertTrue(message("10.0.0.0/33").contains("from 0 to 32"))
        XCTAssertTrue(message("::/129").contains("from 0 to 128"))
        XCTAssertTrue(message("10.0.0.0/").contains("prefix length"))
        XCTAssertTrue(message("10.0.0.0/x").contains("prefix length"))
        XCTAssertTrue(message("10.0.0.0/+8").contains("prefix length"))
        XCTAssertTrue(message("[::1]").contains("without brackets"))
        XCTAssertTrue(message("localhost").contains("is not an IP address"))
        XCTAssertTrue(message("10.0.0.0/8/8").contains("prefix length"))
    }

    func testTrustedProxiesMatchAnyOfTheirRanges() throws {
        let trusted = TrustedProxies([try network("10.0.0.0/8"), try network("::1")])
        XCTAssertTrue(trusted.contains(address("10.1.1.1")))
        XCTAssertTrue(trusted.contains(address("::1")))
        XCTAssertFalse(trusted.contains(address("127.0.0.1")))
        XCTAssertTrue(trusted.contains(try SocketAddress(ipAddress: "10.2.3.4", port: 1)))
        XCTAssertTrue(trusted.contains(try SocketAddress(ipAddress: "::ffff:10.2.3.4", port: 1)))
        XCTAssertFalse(trusted.contains(try SocketAddress(ipAddress: "192.0.2.1", port: 1)))
        XCTAssertFalse(TrustedProxies([]).contains(address("10.1.1.1")))
    }
}
