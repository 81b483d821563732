import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// `SecretHeaderAuth` and `ConstantTime`: the constant-time comparison is a correct equality test for every
/// length combination, and a request passes only with exactly one header equal to the secret.
final class SecretHeaderAuthTests: XCTestCase {
    private func equals(_ a: String, _ b: String) -> Bool {
        ConstantTime.equals(Array(a.utf8), Array(b.utf8))
    }

    func testConstantTimeEqualsIsTrueOnlyForIdenticalBytes() {
        XCTAssertTrue(equals("password", "password"))
        XCTAssertTrue(equals("", ""))
        XCTAssertTrue(equals("pässwörd", "pässwörd"))
        XCTAssertFalse(equals("password", "passwore"), "last byte differs")
        XCTAssertFalse(equals("password", "Password"), "first byte differs")
        XCTAssertFalse(equals("password", "PASSWORD"), "case matters")
        XCTAssertFalse(equals("password", "passXord"), "middle byte differs")
    }

    func testConstantTimeEqualsIsFalseForDifferentLengthsInEitherOrder() {
        XCTAssertFalse(equals("password", "passwor"), "a prefix of the secret")
        XCTAssertFalse(equals("passwor", "password"))
        XCTAssertFalse(equals("password", "password1"), "the secret plus more")
        XCTAssertFalse(equals("password1", "password"))
        XCTAssertFalse(equals("", "password"))
        XCTAssertFalse(equals("password", ""))
    }

    func testConstantTimeEqualsIsFalseWhenTheShorterInputIsPaddedWithZerosOrLengthsDifferBy256() {
        // The loop pads the shorter input with zero bytes; trailing NULs must not make it equal.
        XCTAssertFalse(ConstantTime.equals([0x61, 0x62], [0x61, 0x62, 0x00]))
        XCTAssertFalse(ConstantTime.equals([0x61, 0x62, 0x00], [0x61, 0x62]))
        XCTAssertFalse(ConstantTime.equals([], [0x00]))
        // Length difference a multiple of 256 truncates to 0 in the first UInt8 fold.
        XCTAssertFalse(ConstantTime.equals([], [UInt8](repeating: 0, count: 256)))
        XCTAssertFalse(ConstantTime.equals([UInt8](repeating: 7, count: 300), [UInt8](repeating: 7, count: 44)))
        XCTAssertTrue(ConstantTime.equals([UInt8](repeating: 0, count: 256), [UInt8](repeating: 0, count: 256)))
    }

    func testAllowsExactlyOneHeaderEqualToTheSecret() {
        let auth = SecretHeaderAuth(header: "Authorization", secret: "password")
        XCTAssertTrue(auth.allows(["Authorization": "password"]))
        XCTAssertTrue(auth.allows(["authorization": "password"]), "header names are case-insensitive")
        XCTAssertTrue(auth.allows(["AUTHORIZATION": "password", "X-Other": "x"]))
    }

    func testRefusesMissingWrongEmptyOrRepeatedHeaders() {
        let auth = SecretHeaderAuth(header: "Authorization", secret: "password")
        XCTAssertFalse(auth.allows([:]), "missing")
        XCTAssertFalse(auth.allows(["X-Authorization": "password"]), "another header")
        XCTAssertFalse(auth.allows(["Authorization": ""]), "empty")
        XCTAssertFalse(auth.allows(["Authorization": "passwor"]), "too short")
        XCTAssertFalse(auth.allows(["Authorization": "password "]), "too long")
        XCTAssertFalse(auth.allows(["Authorization": "Bearer password"]))
        XCTAssertFalse(auth.allows(HeaderFields([("Authorization", "password"), ("Authorization", "password")])), "two identical headers")
        XCTAssertFalse(auth.allows(HeaderFields([("Authorization", "wrong"), ("Authorization", "password")])), "a right one among two")
        XCTAssertFalse(auth.allows(HeaderFields([("Authorization", "password"), ("authorization", "wrong")])))
    }
}
