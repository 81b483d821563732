public import NIOCore

/// The outcome of one request, handed to `ProxyHTTP.logging` exactly once.
public struct ProxyLogRecord: Sendable {
    /// The status the client got, or 499 when it left before a response head was sent.
    public var status: Int
    /// Response body bytes sent to the client.
    public var responseBodyBytes: Int
    /// Request body bytes read from the client.
    public var requestBodyBytes: Int
    /// From the complete request head to the last response byte (or the failure).
    public var duration: TimeAmount
    /// The upstream the request went to, if any.
    public var peer: HTTPPeer?
    /// Why the request failed, if it did.
    public var error: ProxyError?
}
