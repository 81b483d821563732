public import NIOHTTP1

/// A response head as the proxy's phases see and edit it: the status and the fields.
public struct ResponseHead: Sendable, Equatable {
    public var version: HTTPVersion
    public var status: HTTPResponseStatus
    public var headers: HeaderFields

    public init(version: HTTPVersion, status: HTTPResponseStatus, headers: HeaderFields = HeaderFields()) {
        self.version = version
        self.status = status
        self.headers = headers
    }
}
