/// The HTTP version Pylon speaks to a peer. Chosen per peer by configuration, never
/// negotiated down: a peer set to HTTP/2 that does not agree to it fails the request.
public enum UpstreamHTTPVersion: Sendable, Hashable {
    /// HTTP/1.1, one request at a time per connection, connections pooled in between.
    case http1_1
    /// HTTP/2: one connection per event loop carries many requests as streams, as many as
    /// the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` allows (more connections when full).
    /// Over TLS the peer must choose `h2` in ALPN; over plain TCP it is h2c with prior
    /// knowledge (RFC 9113 §3.3).
    case http2
}
