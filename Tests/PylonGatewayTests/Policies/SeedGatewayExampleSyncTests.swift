import Foundation
import XCTest

@testable import PylonGateway

/// `pylon demo` runs `SeedGatewayExample.yaml`; it must be the file examples/seed-gateway.yaml
/// byte for byte, so the demo never shows something the example does not say.
final class SeedGatewayExampleSyncTests: XCTestCase {
    private var exampleURL: URL {
        // <root>/Tests/PylonGatewayTests/Policies/<this file> → <root>
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(SeedGatewayExample.path)
    }

    func testEmbeddedSeedGatewayEqualsExamplesFileByteForByte() throws {
        let file = try Data(contentsOf: exampleURL)
        let embedded = Data(SeedGatewayExample.yaml.utf8)
        guard file != embedded else { return }
        let firstDifference = zip(file, embedded).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(file.count, embedded.count)
        XCTFail("""
            SeedGatewayExample.yaml (\(embedded.count) bytes) differs from \(SeedGatewayExample.path) (\(file.count) bytes) \
            at byte \(firstDifference): file has \(file.dropFirst(firstDifference).prefix(20).map { $0 }), \
            embedded has \(embedded.dropFirst(firstDifference).prefix(20).map { $0 })
            """)
    }

    func testEmbeddedSeedGatewayLoadsToTheSameConfigAsTheFile() throws {
        let fromFile = try ConfigLoader.load(path: exampleURL.path)
        let embedded = try ConfigLoader.parse(yaml: SeedGatewayExample.yaml, file: SeedGatewayExample.path)
        XCTAssertEqual(embedded, fromFile)
    }
}
