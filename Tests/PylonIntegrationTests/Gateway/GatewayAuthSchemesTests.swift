import Foundation
import JWTKit
import XCTest

/// API keys, Basic and JWT bearer auth through the real binary and curl: each refusal is a
/// 401 with its scheme's challenge that never reaches the upstream, each right credential
/// reaches it, key files are found relative to the config, and `pylon check` reports a bad
/// key file or JWT key at its place in the config.
final class GatewayAuthSchemesTests: GatewayTestCase {
    private static let apiKey = "ci-key-7f3a9c01"
    private static let password = "correct horse battery"
    private static let hmacSecret = "an HS256 secret of more than thirty-two bytes"

    private struct Setup {
        let gateway: GatewayUnderTest
        let backend: TestBackend
        let ecdsaKey: ES256PrivateKey
    }

    /// `pylon hash-password` with `password` on standard input; returns what it printed.
    private func hashPassword(_ password: String) throws -> String {
        let process = try startProcess(
            executable: "/bin/sh",
            arguments: ["-c", "printf '%s\\n' \"$PASSWORD\" | \"$PYLON\" hash-password --iterations 1000"],
            environment: ["PASSWORD": password, "PYLON": try PylonBinary.path()],
            label: "hash-password"
        )
        XCTAssertEqual(process.waitForExit(timeout: 10), 0, process.stderrText())
        return process.stdoutText().trimmingCharacters(in: .newlines)
    }

    /// Key files in the config's directory, named by relative paths.
    private func startGuardedGateway() throws -> Setup {
        let backend = try startBackend(name: "private")
        let directory = try testDirectory()
        let ecdsaKey = ES256PrivateKey()
        try "# clients\nci:\(Self.apiKey)\n".write(toFile: "\(directory)/api-keys.txt", atomically: true, encoding: .utf8)
        let hash = try hashPassword(Self.password)
        XCTAssertTrue(hash.hasPrefix("pbkdf2-sha256$1000$"), hash)
        try "alice:\(hash)\n".write(toFile: "\(directory)/users.txt", atomically: true, encoding: .utf8)
        try ecdsaKey.publicKey.pemRepresentation.write(toFile: "\(directory)/jwt.pem", atomically: true, encoding: .utf8)
        let gateway = try startGatewayUnderTest("""
            upstreams:
              private: {targets: ["\(backend.address)"]}
            routes:
              - path_prefix: /key
                auth: {api_key: {keys_file: api-keys.txt}}
                upstream: private
              - path_prefix: /basic
                auth: {basic: {realm: Staff, users_file: users.txt}}
                upstream: private
              - path_prefix: /hs
                auth: {jwt: {algorithms: [HS256], secret: "\(Self.hmacSecret)", audience: api}}
                upstream: private
              - path_prefix: /es
                auth: {jwt: {algorithms: [ES256], public_key_file: jwt.pem, issuer: tests}}
                upstream: private
              - {path_prefix: /, upstream: private}

            """)
        return Setup(gateway: gateway, backend: backend, ecdsaKey: ecdsaKey)
    }

    private struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iss: IssuerClaim?
        var aud: AudienceClaim?
        func verify(using _: some JWTAlgorithm) async throws {}
    }

    private func claims(iss: String? = nil, aud: String? = nil, expiresIn: TimeInterval = 300) -> Claims {
        Claims(
            sub: "svc", exp: ExpirationClaim(value: Date().addingTimeInterval(expiresIn)),
            iss: iss.map { IssuerClaim(value: $0) }, aud: aud.map { AudienceClaim(value: $0) }
        )
    }

    private func hs256(_ claims: Claims, secret: String = hmacSecret) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    private func es256(_ claims: Claims, key: ES256PrivateKey) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key)
        return try await keys.sign(claims)
    }

    private func basic(_ user: String, _ password: String) -> (String, String) {
        ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }

    func testEachSchemeRefusesWith401AndItsChallengeAndNothingReachesTheUpstream() async throws {
        let setup = try startGuardedGateway()
        let wrongKeyToken = try await es256(claims(iss: "tests"), key: ES256PrivateKey())
        let expiredToken = try await hs256(claims(aud: "api", expiresIn: -60))
        let otherAudienceToken = try await hs256(claims(aud: "web"))
        let refused: [(label: String, path: String, headers: [(String, String)], challenge: String)] = [
            ("no key", "/key", [], "APIKey header=\"X-API-Key\""),
            ("wrong key", "/key", [("X-API-Key", Self.apiKey + "0")], "APIKey header=\"X-API-Key\""),
            ("no credentials", "/basic", [], "Basic realm=\"Staff\", charset=\"UTF-8\""),
            ("wrong password", "/basic", [basic("alice", "wrong")], "Basic realm=\"Staff\", charset=\"UTF-8\""),
            ("unknown user", "/basic", [basic("bob", Self.password)], "Basic realm=\"Staff\", charset=\"UTF-8\""),
            ("no token", "/hs", [], "Bearer"),
            ("expired token", "/hs", [("Authorization", "Bearer \(expiredToken)")], "Bearer error=\"invalid_token\""),
            ("other audience", "/hs", [("Authorization", "Bearer \(otherAudienceToken)")], "Bearer error=\"invalid_token\""),
            ("garbage token", "/hs", [("Authorization", "Bearer a.b.c")], "Bearer error=\"invalid_token\""),
            ("another signer", "/es", [("Authorization", "Bearer \(wrongKeyToken)")], "Bearer error=\"invalid_token\""),
        ]
        for (label, path, headers, challenge) in refused {
            let result = try setup.gateway.request(path, headers: headers)
            XCTAssertEqual(result.status, 401, "\(label): \(result)")
            XCTAssertEqual(result.headers(named: "WWW-Authenticate"), [challenge], label)
            XCTAssertEqual(result.bodyText, "401 Unauthorized\n", label)
        }
        XCTAssertEqual(setup.backend.receivedRequests.count, 0, "a refused request must not be forwarded")
    }

    func testTheRightCredentialOfEachSchemeReachesTheUpstream() async throws {
        let setup = try startGuardedGateway()
        let hsToken = try await hs256(claims(aud: "api"))
        let esToken = try await es256(claims(iss: "tests"), key: setup.ecdsaKey)
        let allowed: [(path: String, headers: [(String, String)])] = [
            ("/key/a", [("X-API-Key", Self.apiKey)]),
            ("/basic/b", [basic("alice", Self.password)]),
            ("/basic/c", [basic("alice", Self.password)]),
            ("/hs/d", [("Authorization", "Bearer \(hsToken)")]),
            ("/es/e", [("Authorization", "Bearer \(esToken)")]),
        ]
        for (path, headers) in allowed {
            let result = try setup.gateway.request(path, headers: headers)
            XCTAssertEqual(result.status, 200, "\(path): \(result)")
            XCTAssertEqual(result.bodyText, "private\n", path)
        }
        XCTAssertEqual(setup.backend.receivedRequests.map(\.uri), ["/key/a", "/basic/b", "/basic/c", "/hs/d", "/es/e"])
    }

    func testCheckReportsABadKeyFileAndAnInvalidJWTKeyAtTheirLineAndColumn() throws {
        let directory = try testDirectory()
        try "ci:\(Self.apiKey)\nbad line with spaces:x\n".write(toFile: "\(directory)/keys.txt", atomically: true, encoding: .utf8)
        try "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"
            .write(toFile: "\(directory)/broken.pem", atomically: true, encoding: .utf8)
        let path = try writeConfig("""
            listeners: [{name: http, address: "127.0.0.1:6191"}]
            upstreams: {default: {targets: ["127.0.0.1:9"]}}
            routes:
              - path_prefix: /a
                upstream: default
                auth: {api_key: {keys_file: keys.txt}}
              - path_prefix: /b
                upstream: default
                auth: {jwt: {algorithms: [ES256], public_key_file: broken.pem}}
              - path_prefix: /c
                upstream: default
                auth: {basic: {users_file: missing-users.txt}}

            """, named: "auth.yaml")
        let result = try runPylonToExit(["check", "-c", path])
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.stdout, "")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, result.stderr)
        guard lines.count == 3 else { return }
        XCTAssertTrue(lines[0].hasPrefix("\(path):6:33: routes[0].auth.api_key.keys_file: \(directory)/keys.txt line 2: "), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("\(path):9:56: routes[1].auth.jwt.public_key_file: \(directory)/broken.pem is not a P-256"), lines[1])
        XCTAssertEqual(lines[2], "\(path):12:32: routes[2].auth.basic.users_file: cannot read \(directory)/missing-users.txt: no such file")
        XCTAssertFalse(result.stderr.contains(Self.apiKey), "no message quotes a key")

        let run = try runPylonToExit(["run", "-c", path, "--single-process"])
        XCTAssertEqual(run.code, 1, "a gateway with a bad key file does not start")
        XCTAssertTrue(run.stderr.contains("\(path):6:33: "), run.stderr)
    }

    func testHashPasswordRefusesAnEmptyPassword() throws {
        let process = try startProcess(
            executable: "/bin/sh", arguments: ["-c", "printf '' | \"$PYLON\" hash-password"],
            environment: ["PYLON": try PylonBinary.path()], label: "hash-password"
        )
        XCTAssertEqual(process.waitForExit(timeout: 10), 1)
        XCTAssertEqual(process.stdoutText(), "")
        XCTAssertTrue(process.stderrText().contains("no password given"), process.stderrText())
    }
}
