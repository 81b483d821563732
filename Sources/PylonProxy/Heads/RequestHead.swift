public import NIOHTTP1

/// A request head as the proxy's phases see and edit it: the request line and the fields.
public struct RequestHead: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request target as sent (origin-form; an absolute-form target's authority has
    /// become the Host field), percent-encoding normalised.
    public var uri: String
    public var version: HTTPVersion
    public var headers: HeaderFields

    public init(version: HTTPVersion, method: HTTPMethod, uri: String, headers: HeaderFields = HeaderFields()) {
        self.version = version
        self.method = method
        self.uri = uri
        self.headers = headers
    }
}
