/// One routing rule: which requests it matches and where they go.
public struct RouteConfig: Sendable, Equatable {
    /// Matches request paths starting with this, always begins with `/` (`path_prefix`); required.
    public var pathPrefix: String
    /// Matches this Host header only, lowercased, without port (`host`); default nil = any host.
    public var host: String?
    /// Name of the upstream matching requests go to (`upstream`); required, must be defined.
    public var upstream: String
    /// The check a request must pass (`auth`): a shared secret, API key, Basic or JWT, see
    /// `RouteAuth`; default nil = no check.
    public var auth: RouteAuth?
    /// Header edits on requests sent upstream, after the global ones (`request_headers`); default none.
    public var requestHeaders: HeaderRules
    /// Header edits on responses sent to the client, after the global ones (`response_headers`); default none.
    public var responseHeaders: HeaderRules
    /// This route's own rate limit, or `off` (`rate_limit`); default `.inherit`: the top-level one.
    public var rateLimit: RouteRateLimit

    public init(
        pathPrefix: String,
        host: String? = nil,
        upstream: String,
        auth: RouteAuth? = nil,
        requestHeaders: HeaderRules = HeaderRules(),
        responseHeaders: HeaderRules = HeaderRules(),
        rateLimit: RouteRateLimit = .inherit
    ) {
        self.pathPrefix = pathPrefix
        self.host = host
        self.upstream = upstream
        self.auth = auth
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.rateLimit = rateLimit
    }
}
