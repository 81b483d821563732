import Foundation
import PylonGateway
import XCTest

/// The README's config reference is the block operators copy: it must load as written, its
/// `~` keys must mean "not set" (their defaults), and the values it shows must be the ones
/// a config without them gets.
final class ReadmeConfigReferenceTests: XCTestCase {
    /// The first ```yaml block under "## Configuration" in README.md.
    private func referenceYAML() throws -> String {
        // Tests/PylonGatewayTests/Config/<this file> → the package root.
        let readme = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try XCTUnwrap(text.range(of: "\n## Configuration\n"), "README has a Configuration section")
        let afterHeading = text[section.upperBound...]
        let opening = try XCTUnwrap(afterHeading.range(of: "```yaml\n"))
        let body = afterHeading[opening.upperBound...]
        let closing = try XCTUnwrap(body.range(of: "\n```"))
        return String(body[..<closing.lowerBound]) + "\n"
    }

    func testTheReadmeConfigReferenceLoadsAsWritten() throws {
        let config = try ConfigLoader.parse(yaml: try referenceYAML(), file: "README.md")
        // `~` keys: not set.
        XCTAssertNil(config.listeners.first?.tls)
        XCTAssertNil(config.limits.keepaliveRequests)
        XCTAssertNil(config.limits.keepaliveTime)
        // Shown values are the defaults.
        let defaults = try ConfigLoader.parse(yaml: minimalConfigYAML, file: "minimal.yaml")
        XCTAssertEqual(config.limits, defaults.limits)
        XCTAssertEqual(config.drainTimeout, defaults.drainTimeout)
        XCTAssertEqual(config.accessLog, defaults.accessLog)
    }

    func testANullOptionalKeyMeansItsDefault() throws {
        let config = try ConfigLoader.parse(
            yaml: minimalConfigYAML + "limits: {idle_timeout: ~, keepalive_requests: ~}\nmetrics: ~\nrate_limit:\n",
            file: "nulls.yaml"
        )
        XCTAssertEqual(config.limits.idleTimeout, .seconds(60))
        XCTAssertNil(config.limits.keepaliveRequests)
        XCTAssertNil(config.metrics)
        XCTAssertNil(config.rateLimit)
    }

    func testANullRequiredKeyIsStillAnError() {
        let found = configProblems(in: minimalConfigYAML.replacingOccurrences(of: "upstream: default", with: "upstream: ~"))
        XCTAssertFalse(found.isEmpty, "a route with upstream: ~ has no upstream")
    }
}
