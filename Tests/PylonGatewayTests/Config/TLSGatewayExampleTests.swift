import Foundation
import PylonGateway
import XCTest

/// examples/tls-gateway.yaml is documented as passing `pylon check` with its bundled
/// certificate; keep it so.
final class TLSGatewayExampleTests: XCTestCase {
    func testTheTLSExampleLoadsWithItsBundledCertificate() throws {
        // <root>/Tests/PylonGatewayTests/Config/<this file> → <root>
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        let config = try ConfigLoader.load(path: root.appendingPathComponent("examples/tls-gateway.yaml").path)
        let https = try XCTUnwrap(config.listeners.first { $0.name == "https" })
        XCTAssertEqual(https.tls?.certificates.first?.serverNames, ["localhost"])
        XCTAssertEqual(config.listeners.first { $0.name == "http" }?.redirectToHTTPSPort, 6443)
        XCTAssertEqual(config.upstreams.first?.tls?.sni, "one.one.one.one")
    }
}
