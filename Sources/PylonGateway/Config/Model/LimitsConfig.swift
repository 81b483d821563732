/// Limits on what a client may send, and how slowly; each names the status it answers with.
public struct LimitsConfig: Sendable, Equatable {
    /// Longest request line in bytes, beyond it 414 (`max_request_line`); default 8KiB.
    public var maxRequestLine: Int
    /// Most bytes of request headers, beyond it 431 (`max_header_bytes`); default 32KiB.
    public var maxHeaderBytes: Int
    /// Largest request body in bytes, beyond it 413 (`max_body`); default 64MiB, nil = unlimited (written `0`).
    public var maxBody: Int?
    /// Time allowed to receive the whole request head, then 408 (`header_timeout`); default 10s.
    public var headerTimeout: Duration
    /// How long an idle keep-alive connection is kept open (`idle_timeout`); default 60s.
    public var idleTimeout: Duration
    /// Longest gap allowed between two reads of a request body (`body_timeout`); default 60s.
    public var bodyTimeout: Duration
    /// Most requests one HTTP/1.1 connection serves before it is closed after a response
    /// (`keepalive_requests`); nil (the default) = no limit.
    public var keepaliveRequests: Int?
    /// How long one HTTP/1.1 connection takes new requests before it is closed after a
    /// response (`keepalive_time`); nil (the default) = no limit.
    public var keepaliveTime: Duration?

    public init(
        maxRequestLine: Int = 8 << 10,
        maxHeaderBytes: Int = 32 << 10,
        maxBody: Int? = 64 << 20,
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        bodyTimeout: Duration = .seconds(60),
        keepaliveRequests: Int? = nil,
        keepaliveTime: Duration? = nil
    ) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBody = maxBody
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.keepaliveRequests = keepaliveRequests
        self.keepaliveTime = keepaliveTime
    }
}
