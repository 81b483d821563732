import Foundation
import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// `BasicAuth`: the right user and password pass and name the user; anything else is a 401
/// with the Basic challenge; verified credentials are cached, refused ones never are.
final class BasicAuthTests: XCTestCase {
    private func basic(_ user: String, _ password: String) -> HeaderFields {
        ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    private func makeAuth(cache: VerifiedCredentialCache = VerifiedCredentialCache()) throws -> BasicAuth {
        BasicAuth(
            BasicAuthConfig(realm: "staff only", users: [
                BasicAuthUser(name: "alice", passwordHash: try PasswordHashSyntax.parse(PasswordHashTests.pbkdf2)),
                BasicAuthUser(name: "robot", passwordHash: try PasswordHashSyntax.parse(PasswordHashTests.saltedSHA256)),
                BasicAuthUser(name: "jörg", passwordHash: try PasswordHash.makePBKDF2SHA256(password: "pa:ss wörd", iterations: 1_000)),
            ]),
            cache: cache
        )
    }

    func testTheRightPasswordPassesAndNamesTheUser() throws {
        let auth = try makeAuth()
        XCTAssertEqual(auth.check(basic("alice", "correct horse")).client, "alice")
        XCTAssertEqual(auth.check(basic("robot", "machine-secret-xyz")).client, "robot")
        XCTAssertEqual(auth.check(basic("jörg", "pa:ss wörd")).client, "jörg", "UTF-8, and a password may hold a colon")
        XCTAssertEqual(auth.check(["Authorization": "basic " + Data("alice:correct horse".utf8).base64EncodedString()]).client,
                       "alice", "the scheme name is case-insensitive")
    }

    func testWrongMissingOrMalformedCredentialsAre401WithTheBasicChallenge() throws {
        let auth = try makeAuth()
        let refused: [(String, HeaderFields)] = [
            ("no header", [:]),
            ("wrong password", basic("alice", "correct horsE")),
            ("another user's password", basic("alice", "machine-secret-xyz")),
            ("unknown user", basic("mallory", "correct horse")),
            ("user name case", basic("Alice", "correct horse")),
            ("empty password", basic("alice", "")),
            ("no colon", ["Authorization": "Basic " + Data("alice".utf8).base64EncodedString()]),
            ("not base64", ["Authorization": "Basic !!!"]),
            ("no credentials", ["Authorization": "Basic"]),
            ("another scheme", ["Authorization": "Bearer " + Data("alice:correct horse".utf8).base64EncodedString()]),
            ("not UTF-8", ["Authorization": "Basic " + Data([0x61, 0x3A, 0xFF, 0xFE]).base64EncodedString()]),
            ("two headers", HeaderFields([
                ("Authorization", "Basic " + Data("alice:correct horse".utf8).base64EncodedString()),
                ("Authorization", "Basic " + Data("alice:correct horse".utf8).base64EncodedString()),
            ])),
        ]
        for (label, headers) in refused {
            let refusal = auth.check(headers).refusal
            XCTAssertEqual(refusal?.status, 401, label)
            XCTAssertEqual(refusal?.challenge, "Basic realm=\"staff only\", charset=\"UTF-8\"", label)
        }
    }

    func testVerifiedCredentialsAreCachedAndRefusedOnesAreNot() throws {
        let cache = VerifiedCredentialCache()
        let auth = try makeAuth(cache: cache)
        XCTAssertFalse(auth.check(basic("alice", "wrong")).isAllowed)
        XCTAssertFalse(auth.check(basic("mallory", "x")).isAllowed)
        XCTAssertEqual(cache.count, 0, "refusals are never cached")
        XCTAssertTrue(auth.check(basic("alice", "correct horse")).isAllowed)
        XCTAssertEqual(cache.count, 1)
        XCTAssertTrue(auth.check(basic("alice", "correct horse")).isAllowed)
        XCTAssertEqual(cache.count, 1, "the second request was answered from the cache")
        XCTAssertFalse(auth.check(basic("alice", "correct horsE")).isAllowed, "a cached success does not admit other passwords")
    }

    func testTheCacheKeepsUserAndPasswordApartAndStaysWithinItsCapacity() throws {
        let cache = VerifiedCredentialCache(capacity: 2)
        let first = try XCTUnwrap(BasicCredentials(basic("ab", "c")))
        let shifted = try XCTUnwrap(BasicCredentials(basic("a", "bc")))
        cache.insert(first)
        XCTAssertTrue(cache.contains(first))
        XCTAssertFalse(cache.contains(shifted), "the same bytes split differently are other credentials")
        cache.insert(shifted)
        cache.insert(try XCTUnwrap(BasicCredentials(basic("x", "y"))))
        XCTAssertLessThanOrEqual(cache.count, 2)
    }

    func testCredentialsDescriptionLeavesThePasswordOut() throws {
        let credentials = try XCTUnwrap(BasicCredentials(basic("alice", "correct horse")))
        XCTAssertFalse(String(describing: credentials).contains("horse"))
        XCTAssertTrue(String(describing: credentials).contains("alice"))
    }
}
