import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// `HeaderRules.apply`: remove, then set, then add, whatever order the rules were written in;
/// names case-insensitive; set replaces every value, add keeps existing ones.
final class HeaderRulesApplyTests: XCTestCase {
    private func values(_ headers: HeaderFields, _ name: String) -> [String] { headers[name] }

    func testRemoveThenSetThenAddOnTheSameName() {
        let rules = HeaderRules(
            set: [HeaderField(name: "X-Order", value: "set")],
            add: [HeaderField(name: "X-Order", value: "added")],
            remove: ["x-order"]
        )
        var headers: HeaderFields = ["X-Order": "original"]
        rules.apply(to: &headers)
        // A remove after set/add would leave nothing; set after add would leave only "set".
        XCTAssertEqual(values(headers, "X-Order"), ["set", "added"])
    }

    func testRemoveIsCaseInsensitiveAndRemovesEveryValue() {
        var headers = HeaderFields([("Alt-Svc", "h3=\":443\""), ("alt-svc", "h2=\":8443\""), ("Keep", "1")])
        HeaderRules(remove: ["ALT-SVC"]).apply(to: &headers)
        XCTAssertEqual(values(headers, "alt-svc"), [])
        XCTAssertEqual(values(headers, "Keep"), ["1"])
    }

    func testSetReplacesEveryExistingValueOrAddsWhenAbsent() {
        var headers = HeaderFields([("Server", "a"), ("server", "b")])
        HeaderRules(set: [HeaderField(name: "Server", value: "MyGateway"), HeaderField(name: "X-New", value: "n")]).apply(to: &headers)
        XCTAssertEqual(values(headers, "Server"), ["MyGateway"])
        XCTAssertEqual(values(headers, "X-New"), ["n"])
    }

    func testSetWithSeveralValuesReplacesWithAllOfThem() {
        var headers = HeaderFields([("Vary", "Cookie"), ("X-Keep", "1")])
        HeaderRules(set: [HeaderField(name: "Vary", value: "Accept"), HeaderField(name: "vary", value: "Origin")]).apply(to: &headers)
        XCTAssertEqual(values(headers, "Vary"), ["Accept", "Origin"], "the second value does not replace the first")
        XCTAssertEqual(values(headers, "X-Keep"), ["1"])
    }

    func testAddAppendsAfterExistingValuesInRuleOrder() {
        var headers: HeaderFields = ["X-Tag": "client"]
        HeaderRules(add: [HeaderField(name: "X-Tag", value: "one"), HeaderField(name: "x-tag", value: "two")]).apply(to: &headers)
        XCTAssertEqual(values(headers, "X-Tag"), ["client", "one", "two"])
    }

    func testGlobalThenRouteRulesLetTheRouteOverrideAndRemove() {
        // The gateway applies the global rules, then the route's.
        let global = HeaderRules(set: [HeaderField(name: "X-Layer", value: "global"), HeaderField(name: "X-Global", value: "1")])
        let route = HeaderRules(set: [HeaderField(name: "X-Layer", value: "route")], remove: ["X-Global"])
        var headers = HeaderFields()
        global.apply(to: &headers)
        route.apply(to: &headers)
        XCTAssertEqual(values(headers, "X-Layer"), ["route"])
        XCTAssertEqual(values(headers, "X-Global"), [])
    }

    func testEmptyRulesChangeNothing() {
        let original = HeaderFields([("A", "1"), ("B", "2"), ("a", "3")])
        var headers = original
        XCTAssertTrue(HeaderRules().isEmpty)
        HeaderRules().apply(to: &headers)
        XCTAssertEqual(headers, original)
    }
}
