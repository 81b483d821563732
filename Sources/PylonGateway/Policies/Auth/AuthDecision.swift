import PylonProxy

/// What a route's auth check decided about one request.
enum AuthDecision: Sendable {
    /// Let it through. `client` says who called when the scheme knows: the API key's name,
    /// the Basic user, the token's `sub`. It is never a secret, so logs may carry it.
    case allowed(client: String?)
    /// Answer with this instead (401 with a challenge, or 403), saying nothing of why.
    case refused(ProxyResponse)
}
