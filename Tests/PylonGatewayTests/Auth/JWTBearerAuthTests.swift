import Foundation
import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// `JWTBearerAuth`: tokens signed by jwt-kit with the right key and valid claims pass and name
/// their subject; every other token is a 401 saying only `invalid_token`, and a request with
/// no token at all gets the bare Bearer challenge.
final class JWTBearerAuthTests: XCTestCase {
    private static let invalid = "Bearer error=\"invalid_token\""

    private func hs256Auth(_ configure: (inout JWTAuthConfig) -> Void = { _ in }) -> JWTBearerAuth {
        var config = JWTAuthConfig(algorithms: [.hs256], hmacSecret: Array(TestJWT.secret.utf8))
        configure(&config)
        return JWTBearerAuth(config)
    }

    private func bearer(_ token: String) -> HeaderFields {
        ["Authorization": "Bearer \(token)"]
    }

    private func assertInvalid(
        _ auth: JWTBearerAuth, _ token: String, now: Date = Date(), _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let refusal = auth.check(bearer(token), now: now).refusal
        XCTAssertEqual(refusal?.status, 401, label, file: file, line: line)
        XCTAssertEqual(refusal?.challenge, Self.invalid, label, file: file, line: line)
    }

    func testEachAlgorithmAcceptsATokenSignedWithItsKeyAndNamesTheSubject() async throws {
        let hs = try await TestJWT.hs256(TestJWT.claims(sub: "svc-a"))
        XCTAssertEqual(hs256Auth().check(bearer(hs), now: Date()).client, "svc-a")

        let rsa = JWTBearerAuth(JWTAuthConfig(
            algorithms: [.rs256], publicKey: try JWTPublicKey.parse(pem: TestJWT.rsaPublicPEM, for: .rs256)))
        let rs = try await TestJWT.rs256(TestJWT.claims(sub: "svc-r"))
        XCTAssertEqual(rsa.check(bearer(rs), now: Date()).client, "svc-r")

        let ecdsa = JWTBearerAuth(JWTAuthConfig(
            algorithms: [.es256], publicKey: try JWTPublicKey.parse(pem: TestJWT.p256PublicPEM, for: .es256)))
        let es = try await TestJWT.es256(TestJWT.claims(sub: "svc-e"))
        XCTAssertEqual(ecdsa.check(bearer(es), now: Date()).client, "svc-e")
    }

    func testMissingTokenGetsTheBareChallengeAndOtherSchemesCountAsMissing() {
        let auth = hs256Auth()
        for headers: HeaderFields in [[:], ["Authorization": "Basic YTpi"], ["Authorization": "Bearer"], ["Authorization": "Bearer "]] {
            let refusal = auth.check(headers, now: Date()).refusal
            XCTAssertEqual(refusal?.status, 401, "\(headers)")
            XCTAssertEqual(refusal?.challenge, "Bearer", "\(headers)")
        }
    }

    func testWrongKeyTamperedOrGarbledTokensAreInvalid() async throws {
        let auth = hs256Auth()
        let good = try await TestJWT.hs256(TestJWT.claims())
        assertInvalid(auth, try await TestJWT.hs256(TestJWT.claims(), secret: TestJWT.secret + "x"), "another secret")
        let parts = good.split(separator: ".").map(String.init)
        let otherPayload = TestJWT.base64URL(Array(#"{"sub":"admin","exp":4102444800}"#.utf8))
        assertInvalid(auth, "\(parts[0]).\(otherPayload).\(parts[2])", "payload swapped, signature kept")
        var signature = Array(parts[2])
        signature[5] = signature[5] == "A" ? "B" : "A"
        assertInvalid(auth, "\(parts[0]).\(parts[1]).\(String(signature))", "signature changed")
        assertInvalid(auth, "\(parts[0]).\(parts[1]).", "signature removed")
        assertInvalid(auth, "\(parts[0]).\(parts[1])", "two parts")
        assertInvalid(auth, "not a token", "garbage")
        assertInvalid(auth, good + ".x", "four parts")
        let twoHeaders = HeaderFields([("Authorization", "Bearer \(good)"), ("Authorization", "Bearer \(good)")])
        XCTAssertEqual(auth.check(twoHeaders, now: Date()).refusal?.challenge, Self.invalid, "two Authorization headers")
        XCTAssertTrue(auth.check(bearer(good), now: Date()).isAllowed, "the untouched token still passes")
        XCTAssertTrue(auth.check(["authorization": "bearer   \(good)"], now: Date()).isAllowed, "scheme in any case, extra spaces")
    }

    func testExpiredAndNotYetValidTokensAreInvalidBeyondTheLeeway() async throws {
        let now = Date()
        let expired = try await TestJWT.hs256(TestJWT.claims(exp: -10, now: now))
        let early = try await TestJWT.hs256(TestJWT.claims(nbf: 10, now: now))
        assertInvalid(hs256Auth(), expired, now: now, "expired 10 s ago")
        assertInvalid(hs256Auth(), early, now: now, "valid only in 10 s")

        let lenient = hs256Auth { $0.leeway = .seconds(30) }
        XCTAssertTrue(lenient.check(bearer(expired), now: now).isAllowed, "within 30 s of leeway")
        XCTAssertTrue(lenient.check(bearer(early), now: now).isAllowed, "within 30 s of leeway")
        assertInvalid(lenient, expired, now: now.addingTimeInterval(25), "35 s past exp")
        assertInvalid(lenient, early, now: now.addingTimeInterval(-25), "35 s before nbf")
    }

    func testATokenWithoutExpiryIsInvalidUnlessTheRouteAllowsIt() async throws {
        let forever = try await TestJWT.hs256(TestJWT.claims(exp: nil))
        assertInvalid(hs256Auth(), forever, "no exp")
        XCTAssertTrue(hs256Auth { $0.requireExpiry = false }.check(bearer(forever), now: Date()).isAllowed)
    }

    func testIssuerAndAudienceMustMatchWhenConfigured() async throws {
        let auth = hs256Auth {
            $0.issuer = "https://issuer.example"
            $0.audiences = ["api", "admin"]
        }
        let right = try await TestJWT.hs256(TestJWT.claims(iss: "https://issuer.example", aud: ["other", "admin"]))
        XCTAssertTrue(auth.check(bearer(right), now: Date()).isAllowed, "one of the token's audiences is accepted")
        let single = try await TestJWT.hs256(TestJWT.claims(iss: "https://issuer.example", aud: ["api"]))
        XCTAssertTrue(auth.check(bearer(single), now: Date()).isAllowed)
        assertInvalid(auth, try await TestJWT.hs256(TestJWT.claims(iss: "https://evil.example", aud: ["api"])), "wrong issuer")
        assertInvalid(auth, try await TestJWT.hs256(TestJWT.claims(iss: nil, aud: ["api"])), "no issuer")
        assertInvalid(auth, try await TestJWT.hs256(TestJWT.claims(iss: "https://issuer.example", aud: ["web"])), "wrong audience")
        assertInvalid(auth, try await TestJWT.hs256(TestJWT.claims(iss: "https://issuer.example", aud: nil)), "no audience")
    }

    func testOnlyListedAlgorithmsPassAndEachUsesOnlyItsOwnKey() async throws {
        let rsaOnly = JWTBearerAuth(JWTAuthConfig(
            algorithms: [.rs256], publicKey: try JWTPublicKey.parse(pem: TestJWT.rsaPublicPEM, for: .rs256)))
        assertInvalid(rsaOnly, try await TestJWT.hs256(TestJWT.claims()), "HS256 on an RS256 route")
        assertInvalid(rsaOnly, try await TestJWT.es256(TestJWT.claims()), "ES256 on an RS256 route")
        assertInvalid(rsaOnly, try await TestJWT.rs256(TestJWT.claims(), key: TestJWT.otherRSAKey), "another RSA key")
        // The classic confusion: HS256 keyed with the RSA public key's text.
        let confused = TestJWT.handMade(
            header: #"{"alg":"HS256","typ":"JWT"}"#, payload: #"{"sub":"admin","exp":4102444800}"#, secret: TestJWT.rsaPublicPEM)
        assertInvalid(rsaOnly, confused, "HS256 signed with the public key")

        let hs = hs256Auth()
        let exp = Int(Date().timeIntervalSince1970) + 300
        assertInvalid(hs, TestJWT.handMade(header: #"{"alg":"none"}"#, payload: #"{"sub":"a","exp":\#(exp)}"#, secret: nil), "alg none")
        assertInvalid(hs, TestJWT.handMade(header: #"{"alg":"hs256"}"#, payload: #"{"sub":"a","exp":\#(exp)}"#), "alg in the wrong case")
        assertInvalid(hs, TestJWT.handMade(header: #"{"typ":"JWT"}"#, payload: #"{"sub":"a","exp":\#(exp)}"#), "no alg")
        assertInvalid(
            hs, TestJWT.handMade(header: #"{"alg":"HS256","crit":["exp"]}"#, payload: #"{"sub":"a","exp":\#(exp)}"#),
            "a critical extension nobody understands")
        let handMadeGood = TestJWT.handMade(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"a","exp":\#(exp)}"#)
        XCTAssertEqual(hs.check(bearer(handMadeGood), now: Date()).client, "a", "the hand-made tokens are right but for the tested flaw")
        assertInvalid(hs, TestJWT.handMade(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"a","exp":"tomorrow"}"#), "exp not a number")
    }

    func testBothAlgorithmsOfARouteWorkWithTheirOwnKeys() async throws {
        let auth = JWTBearerAuth(JWTAuthConfig(
            algorithms: [.hs256, .es256], hmacSecret: Array(TestJWT.secret.utf8),
            publicKey: try JWTPublicKey.parse(pem: TestJWT.p256PublicPEM, for: .es256)))
        let hs = try await TestJWT.hs256(TestJWT.claims())
        let es = try await TestJWT.es256(TestJWT.claims())
        XCTAssertTrue(auth.check(bearer(hs), now: Date()).isAllowed)
        XCTAssertTrue(auth.check(bearer(es), now: Date()).isAllowed)
        assertInvalid(auth, try await TestJWT.rs256(TestJWT.claims()), "RS256 is not listed")
    }

    func testATokenInItsOwnHeaderIsTheWholeValue() async throws {
        let auth = hs256Auth { $0.header = "X-Token" }
        let token = try await TestJWT.hs256(TestJWT.claims())
        XCTAssertTrue(auth.check(["X-Token": token], now: Date()).isAllowed)
        XCTAssertEqual(auth.check(["X-Token": "Bearer \(token)"], now: Date()).refusal?.challenge, Self.invalid)
        XCTAssertEqual(auth.check(bearer(token), now: Date()).refusal?.challenge, "Bearer", "Authorization is not read")
    }

    func testDescriptionLeavesTheSecretOut() {
        let config = JWTAuthConfig(algorithms: [.hs256], hmacSecret: Array(TestJWT.secret.utf8), issuer: "iss")
        for text in [String(describing: config), String(reflecting: RouteAuth.jwt(config))] {
            XCTAssertFalse(text.contains("long enough"), text)
            XCTAssertTrue(text.contains("HS256"), text)
        }
    }
}
