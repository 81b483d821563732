import CryptoExtras
import Foundation
import XCTest

@testable import PylonGateway

/// Bad `auth:` values, bad key files and bad JWT keys are config errors at the YAML value
/// that names them (`file:line:col`), and no message quotes a secret.
///
/// `configYAML(auth:)` puts the auth block's first line on line 11 at column 7, so on a later
/// line written as `  key: value` the key is at column 9 and the value at 9 + key length + 2.
final class AuthConfigErrorTests: XCTestCase {
    private var files: KeyFileDirectory!

    override func setUpWithError() throws {
        files = try KeyFileDirectory()
    }

    override func tearDown() {
        files.remove()
    }

    private func problems(_ auth: String, file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
        configProblems(in: configYAML(auth: auth), file: file, line: line)
    }

    // MARK: Key files

    func testAMissingOrEmptyKeysFileOrADirectoryIsReportedAtThePath() throws {
        let missing = "\(files.path)/missing.txt"
        assertConfigProblem(problems("api_key:\n  keys_file: \(missing)"), at: 12, 20, contains: "cannot read \(missing): no such file")

        let empty = try files.write("empty.txt", "\n  \n")
        assertConfigProblem(problems("api_key:\n  keys_file: \(empty)"), at: 12, 20, contains: "\(empty) is empty")

        let comments = try files.write("comments.txt", "# nobody yet\n\n")
        assertConfigProblem(problems("api_key:\n  keys_file: \(comments)"), at: 12, 20, contains: "holds no keys")

        assertConfigProblem(problems("api_key:\n  keys_file: \(files.path)"), at: 12, 20, contains: "it is a directory")
        assertConfigProblem(problems("api_key:\n  keys_file: /dev/null"), at: 12, 20, contains: "it is not a regular file")

        let big = try files.write("big.txt", String(repeating: "k", count: ReferencedFile.maximumBytes + 1))
        assertConfigProblem(problems("api_key:\n  keys_file: \(big)"), at: 12, 20, contains: "larger than 1 MiB")

        let binary = "\(files.path)/binary.txt"
        try Data([0x6B, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary))
        assertConfigProblem(problems("api_key:\n  keys_file: \(binary)"), at: 12, 20, contains: "is not UTF-8 text")
    }

    func testASymlinkedKeyFileIsFollowed() throws {
        let target = try files.write("real-keys.txt", "ci:key-1\n")
        let link = "\(files.path)/keys.txt"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let config = try ConfigLoader.parse(yaml: configYAML(auth: "api_key: {keys_file: \(link)}"), file: "test.yaml")
        XCTAssertEqual(config.routes[0].auth, .apiKey(APIKeyAuthConfig(keys: [APIKey(name: "ci", key: "key-1")])))
    }

    func testAMalformedKeysFileNamesEachBadLine() throws {
        let path = try files.write("keys.txt", "ci:key-1\n# ok so far\nbad name!:key-2\nother:key-1\nci:key-3\nnokey:\n")
        let found = problems("api_key:\n  keys_file: \(path)")
        XCTAssertEqual(found.count, 4, found.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(found.allSatisfy { $0.line == 12 && $0.column == 20 }, found.map(\.description).joined(separator: "\n"))
        let messages = found.map(\.message)
        XCTAssertTrue(messages[0].contains("\(path) line 3: name \"bad name!\" may only use"), messages[0])
        XCTAssertTrue(messages[1].contains("\(path) line 4: this key is already listed"), messages[1])
        XCTAssertTrue(messages[2].contains("\(path) line 5: the name \"ci\" is already used"), messages[2])
        XCTAssertTrue(messages[3].contains("\(path) line 6: expected name:key, found nothing after"), messages[3])
        XCTAssertFalse(messages.joined().contains("key-1"), "no message quotes a key")
    }

    func testAUsersFileWithAPlainPasswordIsRefusedWithoutQuotingIt() throws {
        let path = try files.write("users", "alice:\(PasswordHashTests.pbkdf2)\nbob:hunter2\ncarol\n")
        let found = problems("basic:\n  users_file: \(path)")
        XCTAssertEqual(found.count, 2, found.map(\.description).joined(separator: "\n"))
        guard found.count == 2 else { return }
        XCTAssertTrue(found.allSatisfy { $0.line == 12 && $0.column == 21 }, found.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(found[0].message.contains("\(path) line 2: is not a password hash"), found[0].message)
        XCTAssertTrue(found[1].message.contains("\(path) line 3: expected name:hash"), found[1].message)
        XCTAssertFalse(found.map(\.message).joined().contains("hunter2"))
    }

    func testInlineUsersNeedHashesAndNamesWithoutColons() {
        let found = problems("basic:\n  users:\n    alice: hunter2\n    \"a:b\": \"\(PasswordHashTests.saltedSHA256)\"")
        assertConfigProblem(found, at: 13, 18, contains: "is not a password hash")
        assertConfigProblem(found, at: 14, 11, contains: "contains \":\"")
        XCTAssertFalse(found.map(\.message).joined().contains("hunter2"))
    }

    // MARK: JWT keys

    func testInvalidJWTPublicKeysAreReportedAtTheirPath() throws {
        let garbage = try files.write("garbage.pem", "this is not a key\n")
        assertConfigProblem(
            problems("jwt:\n  algorithms: [RS256]\n  public_key_file: \(garbage)"), at: 13, 26, contains: "is not PEM")

        let privateKey = try files.write("private.pem", TestJWT.p256Key.pemRepresentation)
        assertConfigProblem(
            problems("jwt:\n  algorithms: [ES256]\n  public_key_file: \(privateKey)"), at: 13, 26, contains: "holds a private key")

        let rsa = try files.write("rsa.pem", TestJWT.rsaPublicPEM)
        assertConfigProblem(
            problems("jwt:\n  algorithms: [ES256]\n  public_key_file: \(rsa)"), at: 13, 26, contains: "is not a P-256")

        let ecdsa = try files.write("ec.pem", TestJWT.p256PublicPEM)
        assertConfigProblem(
            problems("jwt:\n  algorithms: [RS256]\n  public_key_file: \(ecdsa)"), at: 13, 26, contains: "is not an RSA public key")

        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: _RSA.Signing.KeySize(bitCount: 1024))
        let weak = try files.write("weak.pem", small.publicKey.pemRepresentation)
        assertConfigProblem(
            problems("jwt:\n  algorithms: [RS256]\n  public_key_file: \(weak)"), at: 13, 26, contains: "2048 bits or more")

        let missing = "\(files.path)/nope.pem"
        assertConfigProblem(
            problems("jwt:\n  algorithms: [RS256]\n  public_key_file: \(missing)"), at: 13, 26, contains: "no such file")
    }

    func testAShortHS256SecretIsRefusedWithoutQuotingIt() throws {
        let found = problems("jwt:\n  algorithms: [HS256]\n  secret: too-short-a-secret")
        assertConfigProblem(found, at: 13, 17, contains: "the HS256 secret is 18 bytes; it needs at least 32")
        XCTAssertFalse(found[0].message.contains("too-short"))

        let file = try files.write("short.secret", "short\n")
        assertConfigProblem(
            problems("jwt:\n  algorithms: [HS256]\n  secret_file: \(file)"), at: 13, 22, contains: "the HS256 secret is 5 bytes")
    }

    func testEachAlgorithmNeedsItsKeyAndNoKeyGoesUnused() {
        assertConfigProblem(problems("jwt:\n  algorithms: [HS256]"), at: 12, 9, contains: "HS256 needs a key: \"secret\" or \"secret_file\"")
        assertConfigProblem(problems("jwt:\n  algorithms: [ES256]"), at: 12, 9, contains: "ES256 needs a key: \"public_key_file\"")
        assertConfigProblem(
            problems("jwt:\n  algorithms: [ES256]\n  public_key_file: k.pem\n  secret: \"\(TestJWT.secret)\""),
            at: 14, 17, contains: "secret is only used by HS256")
        assertConfigProblem(
            problems("jwt:\n  algorithms: [HS256]\n  secret: \"\(TestJWT.secret)\"\n  public_key_file: k.pem"),
            at: 14, 26, contains: "public_key_file is only used by RS256 and ES256")
        assertConfigProblem(
            problems("jwt:\n  algorithms: [RS256, ES256]\n  public_key_file: k.pem"),
            at: 12, 21, contains: "RS256 and ES256 need different kinds of key")
        assertConfigProblem(
            problems("jwt:\n  algorithms: [HS256]\n  secret: \"\(TestJWT.secret)\"\n  secret_file: s.txt"),
            at: 14, 22, contains: "give either secret or secret_file, not both")
    }

    func testUnknownOrRepeatedAlgorithmsAndBadClaimsSettings() {
        assertConfigProblem(problems("jwt:\n  algorithms: [none]"), at: 12, 22, contains: "\"none\" is not one of \"HS256\", \"RS256\", \"ES256\"")
        assertConfigProblem(problems("jwt:\n  algorithms: []"), at: 12, 21, contains: "at least one algorithm is required")
        let secret = "  secret: \"\(TestJWT.secret)\""
        assertConfigProblem(problems("jwt:\n  algorithms: [HS256, HS256]\n\(secret)"), at: 12, 29, contains: "HS256 is already listed")
        assertConfigProblem(problems("jwt:\n  algorithms: [HS256]\n\(secret)\n  leeway: 2h"), at: 14, 17, contains: "use at most 1h")
        assertConfigProblem(problems("jwt:\n  algorithms: [HS256]\n\(secret)\n  leeway: 30"), at: 14, 17, contains: "needs a unit")
        assertConfigProblem(problems("jwt:\n  algorithms: [HS256]\n\(secret)\n  audience: []"), at: 14, 19, contains: "at least one audience")
        assertConfigProblem(problems("jwt:\n  algorithms: [HS256]\n\(secret)\n  expiry: 1h"), at: 14, 9, contains: "unknown key \"expiry\"")
    }

    // MARK: The auth mapping

    func testAuthTakesExactlyOneScheme() {
        assertConfigProblem(problems("{}"), at: 11, 7, contains: "auth needs a scheme")
        assertConfigProblem(
            problems("api_key: {keys: [k-1]}\nbasic: {users: {a: \"\(PasswordHashTests.saltedSHA256)\"}}"),
            at: 11, 7, contains: "auth takes one scheme: api_key, basic, jwt, or header with equals_secret; found api_key, basic")
        assertConfigProblem(
            problems("header: X-Key\napi_key: {keys: [k-1]}"), at: 11, 7, contains: "found header, api_key")
        assertConfigProblem(problems("header: X-Key"), at: 11, 7, contains: "missing required key \"equals_secret\"")
        assertConfigProblem(problems("bearer: {}"), at: 11, 7, contains: "unknown key \"bearer\"")
    }

    func testAPIKeysNeedKeysThatAHeaderCanCarry() {
        assertConfigProblem(problems("api_key: {}"), at: 11, 16, contains: "missing required key \"keys\" or \"keys_file\"")
        assertConfigProblem(problems("api_key:\n  keys: []"), at: 12, 15, contains: "at least one key is required")
        assertConfigProblem(problems("api_key:\n  keys: [\" padded \"]"), at: 12, 16, contains: "the key starts or ends with whitespace")
        assertConfigProblem(problems("api_key:\n  keys: [k-1, k-1]"), at: 12, 21, contains: "this key is already listed")
        assertConfigProblem(problems("api_key:\n  keys: [{name: a b, key: k}]"), at: 12, 23, contains: "may only use letters")
        assertConfigProblem(problems("api_key:\n  header: \"X Key\"\n  keys: [k]"), at: 12, 17, contains: "is not a valid header name")
    }
}
