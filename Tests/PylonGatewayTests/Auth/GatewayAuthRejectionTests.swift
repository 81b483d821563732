import Foundation
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import PylonGateway
@testable import PylonProxy

/// `Gateway.requestFilter` with auth: a refused request is answered by the gateway and marked
/// `.authFailed(scheme:)` for metrics; an allowed one proceeds with its client named.
final class GatewayAuthRejectionTests: XCTestCase {
    private var files: KeyFileDirectory!

    override func setUpWithError() throws {
        files = try KeyFileDirectory()
    }

    override func tearDown() {
        files.remove()
    }

    private func makeGateway() throws -> Gateway {
        let keys = try files.write("keys.txt", "ci:ci-key-1\n")
        let config = try ConfigLoader.parse(yaml: """
            listeners: [{name: http, address: "127.0.0.1:6191"}]
            upstreams: {default: {targets: ["127.0.0.1:9001"]}}
            routes:
              - {path_prefix: /secret, upstream: default, auth: {header: X-Secret, equals_secret: s3cret}}
              - {path_prefix: /key, upstream: default, auth: {api_key: {keys_file: \(keys)}}}
              - {path_prefix: /basic, upstream: default, auth: {basic: {users: {alice: "\(PasswordHashTests.pbkdf2)"}}}}
              - {path_prefix: /jwt, upstream: default, auth: {jwt: {algorithms: [HS256], secret: "\(TestJWT.secret)"}}}
              - {path_prefix: /, upstream: default}
            """, file: "gateway.yaml")
        let segment = try SharedMemorySegment.anonymous()
        return try Gateway(config: config, sharedMemory: segment, metrics: GatewayMetrics(sharedMemory: segment), accessLog: nil)
    }

    private func filter(
        _ gateway: Gateway, _ path: String, _ headers: HeaderFields = [:]
    ) throws -> (result: RequestFilterResult, context: Gateway.Context) {
        let session = ProxySession(
            request: RequestHead(version: .http1_1, method: .GET, uri: path, headers: headers),
            clientAddress: nil, clientIP: "127.0.0.1", proxyProtocolSource: nil, proxyProtocolSourceIP: nil, localAddress: nil, listenerName: "http", scheme: "http",
            eventLoop: EmbeddedEventLoop(), requestIndexOnConnection: 0
        )
        var context = gateway.makeContext()
        let result = try gateway.requestFilter(session, &context)
        return (result, context)
    }

    private func status(_ result: RequestFilterResult) -> Int? {
        if case .respond(let response) = result { return Int(response.status.code) }
        return nil
    }

    func testRefusalsAreMarkedWithTheirScheme() throws {
        let gateway = try makeGateway()
        let refused: [(path: String, status: Int, scheme: String)] = [
            ("/secret", 403, "secret_header"), ("/key", 401, "api_key"), ("/basic", 401, "basic"), ("/jwt", 401, "jwt"),
        ]
        for (path, expectedStatus, scheme) in refused {
            let (result, context) = try filter(gateway, path)
            XCTAssertEqual(status(result), expectedStatus, path)
            XCTAssertEqual(context.rejection, .authFailed(scheme: scheme), path)
            XCTAssertNil(context.authenticatedClient, path)
        }
        let (open, context) = try filter(gateway, "/open")
        XCTAssertNil(status(open), "no auth, no answer")
        XCTAssertNil(context.rejection)
    }

    func testAllowedRequestsProceedWithTheirClientNamed() async throws {
        let gateway = try makeGateway()
        let token = try await TestJWT.hs256(TestJWT.claims(sub: "svc"))
        let allowed: [(path: String, headers: HeaderFields, client: String?)] = [
            ("/secret", ["X-Secret": "s3cret"], nil),
            ("/key", ["X-API-Key": "ci-key-1"], "ci"),
            ("/basic", ["Authorization": "Basic " + Data("alice:correct horse".utf8).base64EncodedString()], "alice"),
            ("/jwt", ["Authorization": "Bearer \(token)"], "svc"),
        ]
        for (path, headers, client) in allowed {
            let (result, context) = try filter(gateway, path, headers)
            XCTAssertNil(status(result), path)
            XCTAssertNil(context.rejection, path)
            XCTAssertEqual(context.authenticatedClient, client, path)
        }
    }
}
