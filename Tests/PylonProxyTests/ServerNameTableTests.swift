import XCTest

@testable import PylonProxy

/// How a TLS listener picks a certificate by SNI: exact names, then one-label wildcards,
/// then the default.
final class ServerNameTableTests: XCTestCase {
    private let table = ServerNameTable(
        namesByCertificate: [["a.example"], ["b.example", "*.b.example"], ["*.example"], ["a.example"]],
        defaultIndex: 1
    )

    func testExactNamesWinCaseInsensitivelyAndWithoutTheTrailingDot() {
        XCTAssertEqual(table.certificateIndex(for: "a.example"), 0)
        XCTAssertEqual(table.certificateIndex(for: "A.Example"), 0)
        XCTAssertEqual(table.certificateIndex(for: "a.example."), 0)
        XCTAssertEqual(table.certificateIndex(for: "b.example"), 1)
    }

    func testAWildcardCoversExactlyOneLabel() {
        XCTAssertEqual(table.certificateIndex(for: "shop.b.example"), 1)
        XCTAssertEqual(table.certificateIndex(for: "c.example"), 2)
        // Two labels deep is not covered by *.b.example, and *.example does not reach either.
        XCTAssertEqual(table.certificateIndex(for: "x.shop.b.example"), 1, "falls back to the default")
        XCTAssertEqual(table.certificateIndex(for: "x.y.example"), 1, "falls back to the default")
    }

    func testNoNameOrAnUnknownOneGetsTheDefault() {
        XCTAssertEqual(table.certificateIndex(for: nil), 1)
        XCTAssertEqual(table.certificateIndex(for: ""), 1)
        XCTAssertEqual(table.certificateIndex(for: "other.test"), 1)
        XCTAssertEqual(table.certificateIndex(for: "example"), 1, "*.example does not cover the bare name")
    }

    func testANameListedTwiceGoesToTheFirstCertificate() {
        XCTAssertEqual(table.certificateIndex(for: "a.example"), 0)
    }
}
