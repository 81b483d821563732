import NIOHTTP1

/// What a request head needs, beyond what nio-http2's client codec does (`Host` becomes
/// `:authority`, connection-specific fields go), before it goes to an HTTP/2 upstream.
enum HTTP2UpstreamRequestHead {
    /// `TE` is hop-by-hop, so it was removed with the others; `TE: trailers` is the one form
    /// an HTTP/2 request may carry (RFC 9113 §8.2.2), and gRPC servers require it. It goes
    /// on when the client sent it: the client takes the trailers the upstream sends.
    static func adapt(_ head: inout RequestHead, clientRequest: RequestHead) {
        if TrailerFields.areAccepted(by: clientRequest.headers) {
            head.headers.replaceOrAdd(name: "te", value: "trailers")
        }
    }
}
