import Foundation

/// Parses the password hashes Basic users are configured with (see `PasswordHash`).
///
/// Messages never quote the text: when someone writes a plain password where a hash belongs,
/// the password must not end up in `pylon check` output.
enum PasswordHashSyntax {
    private static let advice = "make one with `pylon hash-password`"

    static func parse(_ text: String) throws(ValueSyntaxError) -> PasswordHash {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        switch fields.first {
        case "pbkdf2-sha256":
            return try parsePBKDF2(fields)
        case "sha256":
            return try parseSaltedSHA256(fields)
        case "" where fields.count > 2:
            // `$2y$…` (bcrypt), `$6$…` (crypt SHA-512), `$argon2id$…`: recognisably a hash.
            throw ValueSyntaxError(
                "\"$\(fields[1])$\" hashes are not supported; use pbkdf2-sha256$… or sha256$… (\(advice))"
            )
        default:
            throw ValueSyntaxError(
                "is not a password hash: plain passwords are not accepted; use pbkdf2-sha256$… or sha256$… (\(advice))"
            )
        }
    }

    /// `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`.
    private static func parsePBKDF2(_ fields: [Substring]) throws(ValueSyntaxError) -> PasswordHash {
        let shape = "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>"
        guard fields.count == 4 else {
            throw ValueSyntaxError("a pbkdf2-sha256 hash has four fields separated by $: \(shape)")
        }
        let range = PasswordHash.pbkdf2Iterations
        guard fields[1].allSatisfy({ $0.isASCII && $0.isNumber }), let iterations = Int(fields[1]) else {
            throw ValueSyntaxError("the iteration count of a pbkdf2-sha256 hash must be a whole number: \(shape)")
        }
        guard range.contains(iterations) else {
            throw ValueSyntaxError(
                "a pbkdf2-sha256 hash with \(iterations) iterations is outside \(range.lowerBound)…\(range.upperBound): "
                    + "each check that misses the cache runs on an event loop"
            )
        }
        guard let salt = decodeBase64(fields[2]), salt.count >= 8 else {
            throw ValueSyntaxError("the salt of a pbkdf2-sha256 hash must be base64 of at least 8 bytes: \(shape)")
        }
        guard let hash = decodeBase64(fields[3]), (16...64).contains(hash.count) else {
            throw ValueSyntaxError("the hash of a pbkdf2-sha256 hash must be base64 of 16 to 64 bytes: \(shape)")
        }
        return .pbkdf2SHA256(iterations: iterations, salt: salt, hash: hash)
    }

    /// `sha256$<salt>$<hex of SHA-256(salt ‖ password)>`.
    private static func parseSaltedSHA256(_ fields: [Substring]) throws(ValueSyntaxError) -> PasswordHash {
        let shape = "sha256$<salt>$<64 hex digits>"
        guard fields.count == 3 else {
            throw ValueSyntaxError("a sha256 hash has three fields separated by $: \(shape)")
        }
        guard !fields[1].isEmpty else {
            throw ValueSyntaxError("the salt of a sha256 hash must not be empty: \(shape)")
        }
        guard let digest = decodeHex(fields[2]), digest.count == 32 else {
            throw ValueSyntaxError("the digest of a sha256 hash must be 64 hex digits: \(shape)")
        }
        return .saltedSHA256(salt: Array(fields[1].utf8), digest: digest)
    }

    /// Standard base64, with or without its `=` padding.
    static func decodeBase64(_ text: Substring) -> [UInt8]? {
        var padded = String(text)
        guard !padded.isEmpty, !padded.contains("=") || padded.count % 4 == 0 else {
            return nil
        }
        padded += String(repeating: "=", count: (4 - padded.count % 4) % 4)
        return Data(base64Encoded: padded).map(Array.init)
    }

    private static func decodeHex(_ text: Substring) -> [UInt8]? {
        guard text.count.isMultiple(of: 2), text.allSatisfy(\.isHexDigit) else {
            return nil
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
