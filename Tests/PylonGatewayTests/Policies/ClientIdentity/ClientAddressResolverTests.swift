import NIOCore
import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// `ClientAddressResolver`: the client is the connection's address unless that address is
/// a trusted proxy; then X-Forwarded-For is walked from the right past trusted entries, and
/// whatever an untrusted party wrote further left never counts.
final class ClientAddressResolverTests: XCTestCase {
    private let resolver = ClientAddressResolver(
        trustedProxies: TrustedProxies([
            try! IPNetworkSyntax.parse("10.0.0.0/8"), try! IPNetworkSyntax.parse("127.0.0.1"),
            try! IPNetworkSyntax.parse("fd00::/8"),
        ]),
        dropsUntrustedForwardedFor: true
    )

    private func resolve(
        from peer: String, forwardedFor lines: [String] = [], resolver: ClientAddressResolver? = nil
    ) throws -> (clientIP: String?, dropForwardedFor: Bool) {
        let socket = try SocketAddress(ipAddress: peer, port: 40000)
        let headers = HeaderFields(lines.map { ("X-Forwarded-For", $0) } + [("Host", "a")])
        return (resolver ?? self.resolver).resolve(connectionClient: socket, connectionClientIP: socket.ipAddress, headers: headers)
    }

    func testUntrustedPeerIsTheClientAndItsForwardedForIsDropped() throws {
        let spoofed = try resolve(from: "198.51.100.9", forwardedFor: ["1.2.3.4"])
        XCTAssertEqual(spoofed.clientIP, "198.51.100.9", "a client cannot choose its own address")
        XCTAssertTrue(spoofed.dropForwardedFor)
        let plain = try resolve(from: "198.51.100.9")
        XCTAssertEqual(plain.clientIP, "198.51.100.9")
        XCTAssertFalse(plain.dropForwardedFor, "nothing to drop")
    }

    func testNoTrustedProxiesMeansNobodysForwardedForCounts() throws {
        let none = ClientAddressResolver(trustedProxies: TrustedProxies([]), dropsUntrustedForwardedFor: true)
        let result = try resolve(from: "127.0.0.1", forwardedFor: ["1.2.3.4"], resolver: none)
        XCTAssertEqual(result.clientIP, "127.0.0.1")
        XCTAssertTrue(result.dropForwardedFor)
        let keeping = ClientAddressResolver(trustedProxies: TrustedProxies([]), dropsUntrustedForwardedFor: false)
        XCTAssertFalse(try resolve(from: "127.0.0.1", forwardedFor: ["1.2.3.4"], resolver: keeping).dropForwardedFor,
                       "with x_forwarded_for off the header passes untouched")
    }

    func testTrustedPeerNamesTheRightmostUntrustedEntry() throws {
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["203.0.113.7"]).clientIP, "203.0.113.7")
        // The client prepended a lie; the trusted proxies appended the truth on the right.
        let walked = try resolve(from: "10.0.0.2", forwardedFor: ["6.6.6.6, 203.0.113.7, 10.0.0.1"])
        XCTAssertEqual(walked.clientIP, "203.0.113.7")
        XCTAssertFalse(walked.dropForwardedFor, "a trusted proxy's chain is passed on")
        // The same over several field lines, which form one list in order.
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["6.6.6.6", "203.0.113.7", "10.0.0.1 , 127.0.0.1"]).clientIP, "203.0.113.7")
        // A spoofed trusted-looking entry left of the real client is never reached.
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["10.9.9.9, 203.0.113.7"]).clientIP, "203.0.113.7")
    }

    func testIPv6EntriesAndMappedPeers() throws {
        XCTAssertEqual(try resolve(from: "fd00::5", forwardedFor: ["2001:DB8::7, fd00::1"]).clientIP, "2001:db8::7")
        XCTAssertEqual(try resolve(from: "::ffff:10.0.0.2", forwardedFor: ["203.0.113.7"]).clientIP, "203.0.113.7",
                       "a mapped IPv4 peer is trusted by its IPv4 range")
        XCTAssertEqual(try resolve(from: "::ffff:198.51.100.9").clientIP, "198.51.100.9", "one spelling per client")
    }

    func testEveryEntryTrustedMeansTheLeftmostIsTheClient() throws {
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["10.1.1.1, 10.0.0.1"]).clientIP, "10.1.1.1")
    }

    func testGarbageStopsTheWalkAtTheLastTrustedProxy() throws {
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["203.0.113.7, garbage, 10.0.0.1"]).clientIP, "10.0.0.1")
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["203.0.113.7, 10.0.0.1:8080"]).clientIP, "10.0.0.2",
                       "garbage right away: the peer itself")
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["[2001:db8::1]"]).clientIP, "10.0.0.2")
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["unknown"]).clientIP, "10.0.0.2")
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: [""]).clientIP, "10.0.0.2")
    }

    func testEmptyListElementsAreSkipped() throws {
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["203.0.113.7,, 10.0.0.1, "]).clientIP, "203.0.113.7")
        XCTAssertEqual(try resolve(from: "10.0.0.2", forwardedFor: ["\t203.0.113.7\t"]).clientIP, "203.0.113.7")
    }

    func testUnixDomainPeerKeepsItsText() throws {
        let unix = try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")
        let result = resolver.resolve(connectionClient: unix, connectionClientIP: nil, headers: ["X-Forwarded-For": "1.2.3.4"])
        XCTAssertNil(result.clientIP)
        XCTAssertFalse(result.dropForwardedFor)
    }

    func testForwardedProtoIsTheLastElementWhenItIsHTTPOrHTTPS() {
        XCTAssertEqual(ClientAddressResolver.forwardedProto(["https"]), "https")
        XCTAssertEqual(ClientAddressResolver.forwardedProto(["http, HTTPS "]), "https")
        XCTAssertEqual(ClientAddressResolver.forwardedProto(["https", "http"]), "http")
        XCTAssertNil(ClientAddressResolver.forwardedProto([]))
        XCTAssertNil(ClientAddressResolver.forwardedProto(["https, "]))
        XCTAssertNil(ClientAddressResolver.forwardedProto(["wss"]))
    }
}
