import Foundation
import XCTest

/// A route's `auth: {header, equals_secret}`: exactly one such header equal to the secret
/// passes to the upstream; anything else is a 403 that never reaches it.
final class GatewayAuthTests: GatewayTestCase {
    private static let secret = "s3cret-Value"

    private func startProtectedGateway() throws -> (GatewayUnderTest, TestBackend) {
        let backend = try startBackend(name: "private")
        let gateway = try startGatewayUnderTest("""
            upstreams:
              private: {targets: ["\(backend.address)"]}
            routes:
              - path_prefix: /login
                auth: {header: X-Api-Key, equals_secret: \(Self.secret)}
                upstream: private
              - {path_prefix: /, upstream: private}

            """)
        return (gateway, backend)
    }

    func testMissingWrongOrWrongLengthSecretIs403AndNeverReachesTheUpstream() throws {
        let (gateway, backend) = try startProtectedGateway()
        let refused: [(label: String, headers: [(String, String)])] = [
            ("missing header", []),
            ("empty value", [("X-Api-Key", "")]),
            ("wrong secret, same length", [("X-Api-Key", "s3cret-Valuf")]),
            ("wrong case", [("X-Api-Key", Self.secret.lowercased())]),
            ("too short (a prefix)", [("X-Api-Key", String(Self.secret.dropLast()))]),
            ("too long (secret + more)", [("X-Api-Key", Self.secret + "x")]),
            ("secret in another header", [("Authorization", Self.secret)]),
            ("two headers, both right", [("X-Api-Key", Self.secret), ("X-Api-Key", Self.secret)]),
        ]
        for (label, headers) in refused {
            let result = try gateway.request("/login", headers: headers)
            XCTAssertEqual(result.status, 403, "\(label): \(result)")
            XCTAssertNil(result.header(named: "X-Backend"), label)
        }
        XCTAssertEqual(backend.receivedRequests.count, 0, "a refused request must not be forwarded")
    }

    func testOtherSpellingsOfAProtectedPathAreRefusedAndForwardedCanonically() throws {
        let (gateway, backend) = try startProtectedGateway()
        // Each names /login to a backend that decodes and resolves paths; none may slip
        // past the /login rule to the catch-all route.
        for spelling in ["/%6cogin", "/%6Cogin/x", "//login", "/./login", "/x/../login", "/%2e/login", "/login/."] {
            let response = try RawHTTPClient.exchange(
                port: gateway.port, send: "GET \(spelling) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(response.statusCodes, [403], "\(spelling): \(response.text)")
        }
        XCTAssertEqual(backend.receivedRequests.count, 0, "no spelling of /login reaches the upstream without the secret")

        let allowed = try RawHTTPClient.exchange(
            port: gateway.port,
            send: "GET //x/./../login/%6eext?q=%2e%2e HTTP/1.1\r\nHost: a\r\nX-Api-Key: \(Self.secret)\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(allowed.statusCodes, [200], allowed.text)
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/login/next?q=%2e%2e"], "the upstream gets the canonical path, the query untouched")
    }

    func testRightSecretIs200AndTheBackendSawTheRequest() throws {
        let (gateway, backend) = try startProtectedGateway()
        let result = try gateway.request("/login/form?next=/", headers: [("X-Api-Key", Self.secret)])
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.bodyText, "private\n")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/login/form?next=/"])

        // The header name is case-insensitive, like every HTTP field name.
        XCTAssertEqual(try gateway.request("/login", headers: [("x-api-key", Self.secret)]).status, 200)
        XCTAssertEqual(backend.receivedRequests.count, 2)
    }

    func testRoutesWithoutAuthNeedNoSecret() throws {
        let (gateway, backend) = try startProtectedGateway()
        XCTAssertEqual(try gateway.request("/public").status, 200)
        XCTAssertEqual(try gateway.request("/logi").status, 200, "only the /login prefix is protected")
        XCTAssertEqual(backend.receivedRequests.map(\.uri), ["/public", "/logi"])
    }
}
