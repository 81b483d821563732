import PylonProxy

/// One routing rule compiled from the config: which requests it takes, where they go,
/// and what it checks and rewrites on the way. A class: the request filter reads a
/// matched route's fields, and copying a struct of this many references costs a retain
/// and release of each, per request.
final class Route: Sendable {
    /// The label of this route in metrics and logs: `host/prefix` or just the prefix.
    let name: String
    let host: String?
    let pathPrefix: String
    /// `pathPrefix`'s bytes, compared with each request's path.
    private let pathPrefixBytes: [UInt8]
    let upstream: Int
    let auth: AuthPolicy?
    /// `auth != nil`, asked first: reading `auth` copies the policy (a retain and release
    /// of everything in it) even to find it absent.
    let hasAuth: Bool
    /// The header a rate limit keyed by `api_key` reads on this route: the route's own
    /// API-key header, so the limit counts the very key auth checks next.
    let apiKeyHeader: String
    let requestHeaders: HeaderRules
    let responseHeaders: HeaderRules

    init(_ config: RouteConfig, upstreamIndex: Int) {
        self.name = (config.host ?? "") + config.pathPrefix
        self.host = config.host?.lowercased()
        self.pathPrefix = config.pathPrefix
        self.pathPrefixBytes = Array(config.pathPrefix.utf8)
        self.upstream = upstreamIndex
        self.auth = config.auth.map(AuthPolicy.init)
        self.hasAuth = config.auth != nil
        if case .apiKey(let apiKey) = config.auth {
            self.apiKeyHeader = apiKey.header
        } else {
            self.apiKeyHeader = RateLimitKey.apiKeyHeader
        }
        self.requestHeaders = config.requestHeaders
        self.responseHeaders = config.responseHeaders
    }

    func matches(host: String?, path: Substring) -> Bool {
        if let required = self.host, required != host { return false }
        // Bytewise: a request target is ASCII (RFC 9112 §3.2), and comparing Characters
        // would run grapheme breaking over every path. The path's contiguous bytes are
        // compared at once; stepping through its UTF-8 view costs more than the compare.
        let prefix = self.pathPrefixBytes
        return path.utf8.withContiguousStorageIfAvailable { $0.starts(with: prefix) } ?? path.utf8.starts(with: prefix)
    }
}
