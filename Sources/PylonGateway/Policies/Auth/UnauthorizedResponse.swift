import NIOHTTP1
import PylonProxy

/// The 401 every scheme answers with: a challenge saying how to authenticate (RFC 9110
/// §11.6.1 requires one) and a body that says nothing about what was wrong.
enum UnauthorizedResponse {
    static func challenging(_ challenge: String) -> ProxyResponse {
        .text(.unauthorized, "401 Unauthorized", headers: ["WWW-Authenticate": challenge])
    }
}
