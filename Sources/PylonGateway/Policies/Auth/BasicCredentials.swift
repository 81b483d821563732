import Foundation
import NIOHTTP1
import PylonProxy

/// The user name and password of an `Authorization: Basic <base64(user:password)>` header
/// (RFC 7617), decoded as UTF-8 as the challenge's `charset="UTF-8"` asks clients to send them.
struct BasicCredentials: CustomStringConvertible {
    let user: String
    let password: String

    /// Nil unless the request has exactly one Authorization header and it is well-formed Basic.
    init?(_ headers: HeaderFields) {
        let values = headers["Authorization"]
        guard values.count == 1 else { return nil }
        let value = values[0]
        guard let space = value.firstIndex(of: " "), value[..<space].lowercased() == "basic" else { return nil }
        let token = value[value.index(after: space)...].trimmingCharacters(in: .whitespaces)
        guard let decoded = Data(base64Encoded: token),
              let text = String(bytes: decoded, encoding: .utf8),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        self.user = String(text[..<colon])
        self.password = String(text[text.index(after: colon)...])
    }

    var description: String {
        "BasicCredentials(user: \(user), password: <redacted>)"
    }
}
