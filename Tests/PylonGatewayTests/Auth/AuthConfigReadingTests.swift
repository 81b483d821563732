import XCTest

@testable import PylonGateway

/// Reading `auth:` for each scheme: inline values and key files (relative to the config file)
/// load into the model, and the shared-secret form keeps working as before.
final class AuthConfigReadingTests: XCTestCase {
    private var files: KeyFileDirectory!

    override func setUpWithError() throws {
        files = try KeyFileDirectory()
    }

    override func tearDown() {
        files.remove()
    }

    private func auth(_ yaml: String, file: String = "test.yaml") throws -> RouteAuth? {
        try ConfigLoader.parse(yaml: configYAML(auth: yaml), file: file).routes[0].auth
    }

    func testTheSharedSecretFormStillReadsAsBefore() throws {
        XCTAssertEqual(try auth("{header: X-Token, equals_secret: s3cret}"), RouteAuth(header: "X-Token", secret: "s3cret"))
    }

    func testAPIKeysInlineWithAndWithoutNames() throws {
        let read = try auth("""
            api_key:
              keys:
                - plain-key-1
                - {name: ci, key: "ci-key:with-colon"}
            """)
        XCTAssertEqual(read, .apiKey(APIKeyAuthConfig(header: "X-API-Key", keys: [
            APIKey(key: "plain-key-1"), APIKey(name: "ci", key: "ci-key:with-colon"),
        ])))
    }

    func testAPIKeysFromAFileRelativeToTheConfigWithCommentsAndNames() throws {
        try files.write("keys.txt", """
            # clients
            ci:ci-key-123
              plain-key-2\r

            ops:key:with:colons
            """)
        let read = try auth("api_key: {header: X-Token, keys_file: keys.txt}", file: "\(files.path)/gateway.yaml")
        XCTAssertEqual(read, .apiKey(APIKeyAuthConfig(header: "X-Token", keys: [
            APIKey(name: "ci", key: "ci-key-123"), APIKey(key: "plain-key-2"), APIKey(name: "ops", key: "key:with:colons"),
        ])))
    }

    func testBasicUsersInlineAndFromAFile() throws {
        let inline = try auth("""
            basic:
              realm: Staff
              users:
                alice: "\(PasswordHashTests.pbkdf2)"
                robot: "\(PasswordHashTests.saltedSHA256)"
            """)
        let alice = BasicAuthUser(name: "alice", passwordHash: try PasswordHashSyntax.parse(PasswordHashTests.pbkdf2))
        let robot = BasicAuthUser(name: "robot", passwordHash: try PasswordHashSyntax.parse(PasswordHashTests.saltedSHA256))
        XCTAssertEqual(inline, .basic(BasicAuthConfig(realm: "Staff", users: [alice, robot])))

        let path = try files.write("htpasswd", "alice:\(PasswordHashTests.pbkdf2)\n# a robot\nrobot:\(PasswordHashTests.saltedSHA256)\n")
        XCTAssertEqual(try auth("basic: {users_file: \(path)}"), .basic(BasicAuthConfig(realm: "pylon", users: [alice, robot])))
    }

    func testJWTWithEachKindOfKeyAndEveryOption() throws {
        let secretFile = try files.write("hs.secret", TestJWT.secret + "\n")
        let hs = try auth("""
            jwt:
              algorithms: [HS256]
              secret_file: \(secretFile)
              issuer: https://issuer.example
              audience: api
              leeway: 30s
              require_exp: false
              header: X-Token
            """)
        XCTAssertEqual(hs, .jwt(JWTAuthConfig(
            algorithms: [.hs256], hmacSecret: Array(TestJWT.secret.utf8), issuer: "https://issuer.example",
            audiences: ["api"], leeway: .seconds(30), requireExpiry: false, header: "X-Token")), "the file's line break is not part of the secret")

        try files.write("rsa.pem", TestJWT.rsaPublicPEM)
        let rs = try auth("jwt: {algorithms: [RS256], public_key_file: rsa.pem, audience: [a, b]}", file: "\(files.path)/gw.yaml")
        XCTAssertEqual(rs, .jwt(JWTAuthConfig(
            algorithms: [.rs256], publicKey: try JWTPublicKey.parse(pem: TestJWT.rsaPublicPEM, for: .rs256), audiences: ["a", "b"])))

        let ecdsaPath = try files.write("ec.pem", TestJWT.p256PublicPEM)
        let both = try auth("jwt: {algorithms: [ES256, HS256], public_key_file: \(ecdsaPath), secret: \"\(TestJWT.secret)\"}")
        guard case .jwt(let config) = both else { return XCTFail("\(String(describing: both))") }
        XCTAssertEqual(config.algorithms, [.es256, .hs256])
        XCTAssertEqual(config.publicKey?.algorithm, .es256)
        XCTAssertEqual(config.hmacSecret, Array(TestJWT.secret.utf8))
        XCTAssertEqual(config.leeway, .zero)
        XCTAssertTrue(config.requireExpiry)
        XCTAssertEqual(config.header, "Authorization")
    }
}
