import NIOCore
import PylonProxy
import XCTest

@testable import PylonGateway

/// An upstream's `protocol` reaches its peers: the HTTP version they are spoken to in.
final class UpstreamGroupProtocolTests: XCTestCase {
    private func resolve(_ httpProtocol: UpstreamProtocol, tls: UpstreamTLSConfig? = nil) throws -> UpstreamGroup {
        let config = UpstreamConfig(
            name: "api", targets: [HostAndPort(host: "127.0.0.1", port: 9001), HostAndPort(host: "127.0.0.1", port: 9002)],
            tls: tls, httpProtocol: httpProtocol
        )
        return try UpstreamGroup.resolve(config, table: TargetHealthTable(segment: try SharedMemorySegment.anonymous()))
    }

    func testPeersSpeakTheUpstreamsProtocol() throws {
        XCTAssertEqual(try resolve(.http1).peers.map(\.httpVersion), [.http1_1, .http1_1])
        XCTAssertEqual(try resolve(.http2).peers.map(\.httpVersion), [.http2, .http2])
    }

    func testTLSPeersOfAnHTTP2UpstreamShareOneContext() throws {
        let group = try resolve(.http2, tls: UpstreamTLSConfig(verify: false))
        let contexts = group.peers.compactMap { $0.tls?.context }
        XCTAssertEqual(contexts.count, 2)
        XCTAssertTrue(contexts[0] === contexts[1], "one ALPN h2 context per upstream, shared by its targets")
    }
}
