import NIOHTTP1
import PylonProxy

/// "This header must equal that secret", compared in constant time; otherwise 403, as the
/// seed gateway answers (there is no challenge a client could answer).
struct SecretHeaderAuth: Sendable {
    let header: String
    private let secret: [UInt8]
    private static let refusal = ProxyResponse.text(.forbidden, "403 Forbidden")

    init(header: String, secret: String) {
        self.header = header
        self.secret = Array(secret.utf8)
    }

    func check(_ headers: HeaderFields) -> AuthDecision {
        allows(headers) ? .allowed(client: nil) : .refused(Self.refusal)
    }

    /// True when exactly one such header is present and equals the secret.
    func allows(_ headers: HeaderFields) -> Bool {
        let values = headers[self.header]
        guard values.count == 1 else { return false }
        return ConstantTime.equals(Array(values[0].utf8), self.secret)
    }
}
