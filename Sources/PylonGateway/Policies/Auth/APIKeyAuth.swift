import Crypto
import NIOHTTP1
import PylonProxy

/// "This header must hold one of these keys"; otherwise 401 with
/// `WWW-Authenticate: APIKey header="<header>"`, a challenge of the gateway's own naming (no
/// standard scheme exists for API keys) that tells the client which header to use.
///
/// The key a request presents is hashed with SHA-256 and its digest looked up among the
/// digests of the configured keys, rather than compared with each key in turn. A lookup takes
/// the same time whether a route has one key or thousands, and what its timing could reveal
/// (which bucket a digest falls in, how many leading bytes of two digests agree) is about
/// digests: learning that SHA-256 of a guess shares a prefix with SHA-256 of a real key does
/// not bring a guess any closer, because SHA-256 cannot be run backwards. The final
/// comparison of two digests is swift-crypto's constant-time one all the same.
struct APIKeyAuth: Sendable {
    let header: String
    /// SHA-256 of each key → the key's name, if it has one.
    private let clients: [SHA256Digest: String?]
    private let refusal: ProxyResponse

    init(_ config: APIKeyAuthConfig) {
        self.header = config.header
        var clients: [SHA256Digest: String?] = [:]
        for key in config.keys {
            clients[SHA256.hash(data: Array(key.key.utf8))] = .some(key.name)
        }
        self.clients = clients
        self.refusal = UnauthorizedResponse.challenging("APIKey header=\"\(config.header)\"")
    }

    func check(_ headers: HeaderFields) -> AuthDecision {
        let values = headers[self.header]
        guard values.count == 1, let name = self.clients[SHA256.hash(data: Array(values[0].utf8))] else {
            return .refused(self.refusal)
        }
        return .allowed(client: name)
    }
}
