import NIOCore
import NIOHTTP1

/// The state of the one request a client connection is serving (HTTP/1.1 serves
/// requests strictly one after the other; pipelined ones wait in the input buffer).
///
/// Its stored properties skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`):
/// it lives on one event loop and is only touched there, in code that never holds one of
/// them across a call back into the same object. The checks cost a thread-local lookup
/// per access, about 180 per proxied request across the request path's objects.
///
/// The proxy's phases are its methods, each with the request's session and context
/// (`BoundProxyExchange` binds them to a `ProxyHTTP`), so the handlers that serve a
/// request are not generic. SwiftNIO calls a handler through its protocol witnesses, where
/// generic code runs unspecialised, with the proxy's context reached through run-time
/// metadata on every access.
class ProxyExchange {
    enum UpstreamState {
        /// `requestFilter` has not decided yet, or the request is answered locally.
        case none
        /// A connect is in flight; body pieces wait in `queuedBody`.
        case connecting
        /// Attached to an upstream connection that is serving this request.
        case attached(UpstreamConnection)
        /// The upstream part is over (response complete, or failed).
        case finished
    }

    enum ResponseState {
        /// Nothing sent to the client yet.
        case notStarted
        /// The head was sent; the body is framed like this.
        case streaming(ResponseFraming)
        /// The whole response was sent.
        case complete
    }

    let session: ProxySession
    let requestFraming: RequestFraming
    /// The whole request (head, body, end) has been read from the client.
    @exclusivity(unchecked) var requestComplete = false
    /// The request's trailer fields that go upstream with its end (`TrailerFields.forwardable`).
    @exclusivity(unchecked) var requestTrailers: HTTPHeaders?
    /// The request is answered without an upstream; remaining body bytes are read and dropped.
    @exclusivity(unchecked) var discardingBody = false
    @exclusivity(unchecked) var upstream: UpstreamState = .none
    /// Body pieces read while the upstream connection is being set up.
    @exclusivity(unchecked) var queuedBody: [ByteBuffer] = []
    @exclusivity(unchecked) var queuedBodyBytes = 0
    @exclusivity(unchecked) var response: ResponseState = .notStarted
    /// The client connection closes after this response.
    @exclusivity(unchecked) var closeAfterResponse: Bool
    /// The client sent `Expect: 100-continue` and has not been told to go on yet.
    @exclusivity(unchecked) var expectsContinue = false
    /// Pylon sent its own `100 Continue`; the upstream's is not relayed again.
    @exclusivity(unchecked) var sentContinue = false
    @exclusivity(unchecked) var error: ProxyError?
    /// The upstream connection came from the pool (a failure before any response byte
    /// may be a stale socket rather than a real upstream failure).
    @exclusivity(unchecked) var upstreamWasReused = false
    /// When the last request body bytes arrived, for the body timeout; at first, when the
    /// head was complete (the session's start, rather than another clock read per request).
    @exclusivity(unchecked) var lastBodyRead: NIODeadline

    init(session: ProxySession, requestFraming: RequestFraming, closeAfterResponse: Bool) {
        self.session = session
        self.requestFraming = requestFraming
        self.closeAfterResponse = closeAfterResponse
        self.lastBodyRead = session.startTime
    }

    var upstreamConnection: UpstreamConnection? {
        if case .attached(let connection) = self.upstream { return connection }
        return nil
    }

    /// Ends the upstream part of this request without reading its response: an attached
    /// connection is closed (it stopped mid-exchange, so it cannot serve another request)
    /// and one still connecting goes back to the pool unused when it arrives.
    func abandonUpstream() {
        self.upstreamConnection?.abandon()
        self.upstream = .finished
    }

    var responseStarted: Bool {
        if case .notStarted = self.response { return false }
        return true
    }

    var responseComplete: Bool {
        if case .complete = self.response { return true }
        return false
    }

    // MARK: The proxy's phases (see `ProxyHTTP`), overridden by `BoundProxyExchange`

    func earlyRequestFilter() throws { Self.unbound() }
    func requestFilter() throws -> RequestFilterResult { Self.unbound() }
    func requestBodyFilter(_ body: inout ByteBuffer?, endOfStream: Bool) throws { Self.unbound() }
    func upstreamPeer() throws -> HTTPPeer { Self.unbound() }
    func upstreamRequestFilter(_ request: inout RequestHead) throws { Self.unbound() }
    func upstreamResponseFilter(_ response: inout ResponseHead) { Self.unbound() }
    func responseFilter(_ response: inout ResponseHead) throws { Self.unbound() }
    func responseBodyFilter(_ body: inout ByteBuffer?, endOfStream: Bool) throws { Self.unbound() }
    func failToConnect(peer: HTTPPeer, error: ProxyError) -> Bool { Self.unbound() }
    func errorWhileProxy(peer: HTTPPeer, error: ProxyError) -> ProxyError { Self.unbound() }
    func failToProxy(error: ProxyError) -> ProxyResponse { Self.unbound() }
    func logging(_ record: ProxyLogRecord) { Self.unbound() }

    private static func unbound() -> Never {
        preconditionFailure("an exchange is made as a BoundProxyExchange, which binds the proxy's phases")
    }
}
