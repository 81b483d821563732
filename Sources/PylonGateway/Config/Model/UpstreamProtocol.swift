/// The HTTP version Pylon speaks to an upstream's targets (`protocol`). Configured, never
/// negotiated down: targets set to `http2` that do not speak it fail their requests (502).
public enum UpstreamProtocol: String, Sendable, Equatable, CaseIterable {
    /// HTTP/1.1 (`http1`), the default: one request at a time per connection, idle
    /// connections pooled per target per thread (`max_idle`, `idle_timeout`).
    case http1
    /// HTTP/2 (`http2`): per target and thread, one connection carries many requests as
    /// streams, as many as the target's `SETTINGS_MAX_CONCURRENT_STREAMS` allows (another
    /// connection opens when it is full). With `tls` the target must choose `h2` in ALPN
    /// (Pylon offers only `h2`); without it, h2c with prior knowledge. Trailers pass both
    /// ways, so gRPC works through it. `max_idle: 0` closes a connection as soon as no
    /// stream is open; otherwise `idle_timeout` closes connections without streams.
    case http2

    /// The protocols offered in the TLS handshake's ALPN.
    var alpnIdentifiers: [String] {
        switch self {
        case .http1: ["http/1.1"]
        case .http2: ["h2"]
        }
    }
}
