public import NIOCore


/// What `ProxyHTTP.requestFilter` decided.
public enum RequestFilterResult: Sendable {
    /// Go on: pick a peer and forward the request.
    case proceed
    /// Answer with this response and do not go upstream.
    case respond(ProxyResponse)
}

/// The whole extension surface of the proxy: one implementation decides, request by
/// request, where traffic goes and what is changed on the way.
///
/// Phases run in this order for every request; every one but `upstreamPeer` has a
/// default that does nothing (or the obvious thing):
///
///     makeContext → earlyRequestFilter → requestFilter ─┬→ respond ──────────────┐
///                                                        └→ upstreamPeer          │
///          (connect fails → failToConnect → maybe upstreamPeer again)            │
///     → upstreamRequestFilter → requestBodyFilter* → upstreamResponseFilter      │
///     → responseFilter → responseBodyFilter* ─────────────────────────────────────┤
///     (any failure → errorWhileProxy → failToProxy → responseFilter)             │
///     → logging (always, exactly once) ←─────────────────────────────────────────┘
///
/// Phases are synchronous and run on the connection's event loop: they must not block
/// (no file or network I/O, no lock held long). Anything slow — resolving names,
/// loading keys, health checks — happens outside the request path and is only read here.
/// A phase that throws ends the request with `failToProxy` (status 500 by default).
public protocol ProxyHTTP: Sendable {
    /// Per-request state, created by `makeContext` and passed to every phase.
    associatedtype Context

    /// Creates the state for one request. Called once, before any other phase.
    func makeContext() -> Context

    /// First look at a request, before any decision: derive the client identity,
    /// request IDs and the like. Throwing answers 500.
    func earlyRequestFilter(_ session: ProxySession, _ ctx: inout Context) throws

    /// Decides whether the request goes upstream at all: authentication, rate limits,
    /// redirects. May edit `session.request`. Returning `.respond` sends that response
    /// (through `responseFilter`) and skips every upstream phase.
    func requestFilter(_ session: ProxySession, _ ctx: inout Context) throws -> RequestFilterResult

    /// Sees each piece of the request body on its way upstream, in order; `body` may be
    /// changed or set to nil to drop that piece. `endOfStream` is true on the last call,
    /// whose body is nil.
    func requestBodyFilter(
        _ session: ProxySession, _ body: inout ByteBuffer?, endOfStream: Bool, _ ctx: inout Context
    ) throws

    /// Where the request goes. Required. Called again after a failed connect when
    /// `failToConnect` asks for a retry, so a balancer can pick another peer.
    func upstreamPeer(_ session: ProxySession, _ ctx: inout Context) throws -> HTTPPeer

    /// Edits the request head sent upstream, after hop-by-hop headers were removed and
    /// forwarding headers (X-Forwarded-*, Via) added.
    func upstreamRequestFilter(_ session: ProxySession, _ request: inout RequestHead, _ ctx: inout Context) throws

    /// Sees the upstream's response head as received (hop-by-hop headers removed),
    /// before `responseFilter`; the place to record what the upstream said.
    func upstreamResponseFilter(_ session: ProxySession, _ response: inout ResponseHead, _ ctx: inout Context)

    /// Edits every response head before it is sent to the client — upstream responses,
    /// `requestFilter` answers and error pages alike. Throwing answers 500 if nothing
    /// was sent yet.
    func responseFilter(_ session: ProxySession, _ response: inout ResponseHead, _ ctx: inout Context) throws

    /// Sees each piece of the upstream response body on its way to the client.
    func responseBodyFilter(
        _ session: ProxySession, _ body: inout ByteBuffer?, endOfStream: Bool, _ ctx: inout Context
    ) throws

    /// A connect to `peer` failed. Return true to try again (`upstreamPeer` is asked
    /// anew). Nothing of the request reached the peer, so any method may be retried.
    /// Default: no retry.
    func failToConnect(_ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context) -> Bool

    /// An error happened after the request went upstream (read timeout, upstream
    /// closed, bad response). Returns the error to report; the default returns it as is.
    func errorWhileProxy(_ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context)
        -> ProxyError

    /// The response for a request that failed before a response head reached the client.
    /// Default: a plain-text page with `error.suggestedStatus` (502, 504, 500, …).
    func failToProxy(_ session: ProxySession, error: ProxyError, _ ctx: inout Context) -> ProxyResponse

    /// Called exactly once per request, when it is over, successful or not.
    func logging(_ session: ProxySession, _ record: ProxyLogRecord, _ ctx: inout Context)
}

extension ProxyHTTP {
    public func earlyRequestFilter(_ session: ProxySession, _ ctx: inout Context) throws {}

    public func requestFilter(_ session: ProxySession, _ ctx: inout Context) throws -> RequestFilterResult {
        .proceed
    }

    public func requestBodyFilter(
        _ session: ProxySession, _ body: inout ByteBuffer?, endOfStream: Bool, _ ctx: inout Context
    ) throws {}

    public func upstreamRequestFilter(
        _ session: ProxySession, _ request: inout RequestHead, _ ctx: inout Context
    ) throws {}

    public func upstreamResponseFilter(
        _ session: ProxySession, _ response: inout ResponseHead, _ ctx: inout Context
    ) {}

    public func responseFilter(_ session: ProxySession, _ response: inout ResponseHead, _ ctx: inout Context) throws {}

    public func responseBodyFilter(
        _ session: ProxySession, _ body: inout ByteBuffer?, endOfStream: Bool, _ ctx: inout Context
    ) throws {}

    public func failToConnect(
        _ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context
    ) -> Bool { false }

    public func errorWhileProxy(
        _ session: ProxySession, peer: HTTPPeer, error: ProxyError, _ ctx: inout Context
    ) -> ProxyError { error }

    public func failToProxy(_ session: ProxySession, error: ProxyError, _ ctx: inout Context) -> ProxyResponse {
        .error(status: error.suggestedStatus)
    }

    public func logging(_ session: ProxySession, _ record: ProxyLogRecord, _ ctx: inout Context) {}
}
