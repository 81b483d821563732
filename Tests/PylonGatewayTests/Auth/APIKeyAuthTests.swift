import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// `APIKeyAuth`: exactly one header holding a configured key passes and names its client;
/// anything else is a 401 whose challenge names the header.
final class APIKeyAuthTests: XCTestCase {
    private let auth = APIKeyAuth(APIKeyAuthConfig(keys: [
        APIKey(name: "ci", key: "ci-key-0123456789"),
        APIKey(key: "anonymous-key-abcdef"),
    ]))

    func testAConfiguredKeyPassesAndNamesItsClient() {
        XCTAssertEqual(auth.check(["X-API-Key": "ci-key-0123456789"]).client, "ci")
        XCTAssertEqual(auth.check(["x-api-key": "ci-key-0123456789"]).client, "ci", "header names are case-insensitive")
        let unnamed = auth.check(["X-API-Key": "anonymous-key-abcdef"])
        XCTAssertTrue(unnamed.isAllowed)
        XCTAssertNil(unnamed.client, "a key without a name passes without naming anyone")
    }

    func testMissingWrongEmptyOrRepeatedKeysAre401WithAChallengeNamingTheHeader() {
        let refused: [(String, HeaderFields)] = [
            ("missing", [:]),
            ("empty", ["X-API-Key": ""]),
            ("wrong", ["X-API-Key": "ci-key-0123456780"]),
            ("a prefix", ["X-API-Key": "ci-key-012345678"]),
            ("longer", ["X-API-Key": "ci-key-0123456789x"]),
            ("another header", ["Authorization": "ci-key-0123456789"]),
            ("the name instead of the key", ["X-API-Key": "ci"]),
            ("two headers", HeaderFields([("X-API-Key", "ci-key-0123456789"), ("X-API-Key", "ci-key-0123456789")])),
        ]
        for (label, headers) in refused {
            let refusal = auth.check(headers).refusal
            XCTAssertEqual(refusal?.status, 401, label)
            XCTAssertEqual(refusal?.challenge, "APIKey header=\"X-API-Key\"", label)
        }
    }

    func testTheKeyIsReadFromTheConfiguredHeader() {
        let custom = APIKeyAuth(APIKeyAuthConfig(header: "X-Token", keys: [APIKey(name: "svc", key: "svc-key-1")]))
        XCTAssertEqual(custom.check(["X-Token": "svc-key-1"]).client, "svc")
        XCTAssertEqual(custom.check(["X-API-Key": "svc-key-1"]).refusal?.challenge, "APIKey header=\"X-Token\"")
    }

    func testDescriptionsShowNamesButNeverKeys() {
        let config = APIKeyAuthConfig(keys: [APIKey(name: "ci", key: "ci-key-0123456789"), APIKey(key: "anonymous-key-abcdef")])
        for text in [String(describing: config), String(reflecting: config), String(describing: RouteAuth.apiKey(config))] {
            XCTAssertTrue(text.contains("ci"), text)
            XCTAssertFalse(text.contains("0123456789"), text)
            XCTAssertFalse(text.contains("anonymous-key"), text)
        }
    }
}
