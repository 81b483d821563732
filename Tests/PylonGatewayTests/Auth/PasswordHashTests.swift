import XCTest

@testable import PylonGateway

/// `PasswordHash`: both formats verify the right password against hashes made elsewhere
/// (Python's hashlib), made hashes round-trip, and no message ever quotes what was written.
final class PasswordHashTests: XCTestCase {
    /// hashlib.pbkdf2_hmac('sha256', b'correct horse', b'saltsaltsalt', 1000), base64.
    static let pbkdf2 = "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0$F7o7+5VTVzFAO998X6s3AHrDsJVdMiIlgndIMe19NvY="
    /// sha256(b'pepper' + b'machine-secret-xyz').hexdigest().
    static let saltedSHA256 = "sha256$pepper$273c9cddc15b7d985e14e5e83e6adae41a77645ee7cd3b5e496cf7c13e7d4b73"

    func testPBKDF2HashFromAnotherImplementationVerifiesOnlyTheRightPassword() throws {
        let hash = try PasswordHashSyntax.parse(Self.pbkdf2)
        XCTAssertTrue(hash.verifies("correct horse"))
        XCTAssertFalse(hash.verifies("correct horsE"))
        XCTAssertFalse(hash.verifies("correct hors"))
        XCTAssertFalse(hash.verifies(""))
        // The padding of base64 is optional.
        XCTAssertEqual(try PasswordHashSyntax.parse(Self.pbkdf2.replacingOccurrences(of: "=", with: "")), hash)
    }

    func testSaltedSHA256HashVerifiesOnlyTheRightSecretInEitherHexCase() throws {
        let hash = try PasswordHashSyntax.parse(Self.saltedSHA256)
        XCTAssertTrue(hash.verifies("machine-secret-xyz"))
        XCTAssertFalse(hash.verifies("machine-secret-xy"))
        XCTAssertFalse(hash.verifies("peppermachine-secret-xyz"))
        let uppercaseHex = "sha256$pepper$" + Self.saltedSHA256.split(separator: "$")[2].uppercased()
        XCTAssertEqual(try PasswordHashSyntax.parse(uppercaseHex), hash)
    }

    func testAMadeHashVerifiesItsPasswordAndRoundTripsThroughItsEncoding() throws {
        let made = try PasswordHash.makePBKDF2SHA256(password: "s3cret pässword", iterations: 1_000)
        XCTAssertTrue(made.verifies("s3cret pässword"))
        XCTAssertFalse(made.verifies("s3cret password"))
        XCTAssertTrue(made.encoded.hasPrefix("pbkdf2-sha256$1000$"), made.encoded)
        XCTAssertEqual(try PasswordHashSyntax.parse(made.encoded), made)
        let again = try PasswordHash.makePBKDF2SHA256(password: "s3cret pässword", iterations: 1_000)
        XCTAssertNotEqual(again, made, "every hash gets its own random salt")
        XCTAssertEqual(try PasswordHashSyntax.parse(Self.saltedSHA256).encoded, Self.saltedSHA256)
    }

    func testMalformedHashesAreRefusedWithoutQuotingThem() {
        let bad: [(text: String, says: String)] = [
            ("hunter2", "plain passwords are not accepted"),
            ("pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0", "four fields"),
            ("pbkdf2-sha256$lots$c2FsdHNhbHRzYWx0$F7o7+5VTVzFAO998X6s3AHrDsJVdMiIlgndIMe19NvY=", "whole number"),
            ("pbkdf2-sha256$999$c2FsdHNhbHRzYWx0$F7o7+5VTVzFAO998X6s3AHrDsJVdMiIlgndIMe19NvY=", "outside 1000…1000000"),
            ("pbkdf2-sha256$2000000$c2FsdHNhbHRzYWx0$F7o7+5VTVzFAO998X6s3AHrDsJVdMiIlgndIMe19NvY=", "outside"),
            ("pbkdf2-sha256$1000$c2FsdA==$F7o7+5VTVzFAO998X6s3AHrDsJVdMiIlgndIMe19NvY=", "at least 8 bytes"),
            ("pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0$not*base64", "16 to 64 bytes"),
            ("sha256$pepper$273c9c", "64 hex digits"),
            ("sha256$pepper$+73c9cddc15b7d985e14e5e83e6adae41a77645ee7cd3b5e496cf7c13e7d4b73", "64 hex digits"),
            ("sha256$$273c9cddc15b7d985e14e5e83e6adae41a77645ee7cd3b5e496cf7c13e7d4b73", "salt"),
            ("$2y$10$abcdefghijklmnopqrstuv", "\"$2y$\" hashes are not supported"),
        ]
        for (text, says) in bad {
            do {
                _ = try PasswordHashSyntax.parse(text)
                XCTFail("\(text) was accepted")
            } catch {
                XCTAssertTrue(error.message.contains(says), "\(text): \(error.message)")
                XCTAssertFalse(error.message.contains(text), "the message quotes the input: \(error.message)")
            }
        }
    }

    func testDescriptionsLeaveTheHashOut() throws {
        let hash = try PasswordHashSyntax.parse(Self.pbkdf2)
        let user = BasicAuthUser(name: "alice", passwordHash: hash)
        let config = BasicAuthConfig(realm: "staff", users: [user])
        for text in [String(describing: hash), String(reflecting: user), String(describing: config), String(reflecting: RouteAuth.basic(config))] {
            XCTAssertFalse(text.contains("F7o7"), text)
            XCTAssertFalse(text.contains("c2FsdH"), text)
        }
        XCTAssertEqual(String(describing: hash), "pbkdf2-sha256$1000$<redacted>")
        XCTAssertTrue(String(describing: config).contains("alice"))
    }
}
