import Crypto
import CryptoExtras
import Foundation
import JWTKit
import XCTest

@testable import PylonGateway

/// A directory of key files for one test, removed when the test's `tearDown` runs it down.
final class KeyFileDirectory {
    let path: String

    init() throws {
        self.path = FileManager.default.temporaryDirectory.appendingPathComponent("pylon-auth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` in the directory and returns the file's absolute path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = "\(path)/\(name)"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// `minimalConfigYAML`'s listeners and upstreams with one route `/` guarded by `auth`, which
/// is the YAML of the auth mapping's value, put under `auth:` as a block: its first line is
/// line 11 of the file, its first column 7.
func configYAML(auth: String) -> String {
    """
    listeners:
      - name: http
        address: "0.0.0.0:6191"
    upstreams:
      default:
        targets: ["127.0.0.1:9001"]
    routes:
      - path_prefix: /
        upstream: default
        auth:
    \(auth.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n"))

    """
}

/// Keys and tokens for the JWT tests, signed by jwt-kit's own signers: an implementation
/// independent of the gateway's verification.
enum TestJWT {
    static let secret = "an HS256 secret that is long enough, 48 bytes.."
    static let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherRSAKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let p256Key = P256.Signing.PrivateKey()

    static func claims(
        sub: String? = "alice",
        exp: TimeInterval? = 300,
        nbf: TimeInterval? = nil,
        iss: String? = nil,
        aud: [String]? = nil,
        now: Date = Date()
    ) -> JWTRegisteredClaims {
        JWTRegisteredClaims(
            exp: exp.map { ExpirationClaim(value: now.addingTimeInterval($0)) },
            nbf: nbf.map { NotBeforeClaim(value: now.addingTimeInterval($0)) },
            iss: iss.map { IssuerClaim(value: $0) },
            aud: aud.map { AudienceClaim(value: $0) },
            sub: sub.map { SubjectClaim(value: $0) }
        )
    }

    static func hs256(_ claims: JWTRegisteredClaims, secret: String = secret) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    static func rs256(_ claims: JWTRegisteredClaims, key: _RSA.Signing.PrivateKey = rsaKey) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: key.pemRepresentation), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    static func es256(_ claims: JWTRegisteredClaims, key: P256.Signing.PrivateKey = p256Key) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: key.pemRepresentation))
        return try await keys.sign(claims)
    }

    /// A token with exactly this header and payload JSON, HMAC-signed with `secret` (or with
    /// an empty signature when nil): for headers no signer would write (`none`, `crit`).
    static func handMade(header: String, payload: String, secret: String? = secret) -> String {
        let input = base64URL(Array(header.utf8)) + "." + base64URL(Array(payload.utf8))
        guard let secret else { return input + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return input + "." + base64URL(Array(mac))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static var rsaPublicPEM: String { rsaKey.publicKey.pemRepresentation }
    static var p256PublicPEM: String { p256Key.publicKey.pemRepresentation }
}

extension AuthDecision {
    var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }

    var client: String? {
        if case .allowed(let client) = self { return client }
        return nil
    }

    /// The refusal's status code and WWW-Authenticate header; nil when allowed.
    var refusal: (status: Int, challenge: String?)? {
        guard case .refused(let response) = self else { return nil }
        return (Int(response.status.code), response.headers.first(name: "WWW-Authenticate"))
    }
}
