import NIOCore
import NIOHTTP1

/// An exchange whose phases are `Proxy`'s, called with the request's context: the one
/// generic type on the request path. Its methods only forward, so what runs unspecialised
/// is a call each, not the handlers' bookkeeping around it.
final class BoundProxyExchange<Proxy: ProxyHTTP>: ProxyExchange {
    let proxy: Proxy
    @exclusivity(unchecked) var context: Proxy.Context

    init(proxy: Proxy, session: ProxySession, requestFraming: RequestFraming, closeAfterResponse: Bool) {
        self.proxy = proxy
        self.context = proxy.makeContext()
        super.init(session: session, requestFraming: requestFraming, closeAfterResponse: closeAfterResponse)
    }

    override func earlyRequestFilter() throws {
        try self.proxy.earlyRequestFilter(self.session, &self.context)
    }

    override func requestFilter() throws -> RequestFilterResult {
        try self.proxy.requestFilter(self.session, &self.context)
    }

    override func requestBodyFilter(_ body: inout ByteBuffer?, endOfStream: Bool) throws {
        try self.proxy.requestBodyFilter(self.session, &body, endOfStream: endOfStream, &self.context)
    }

    override func upstreamPeer() throws -> HTTPPeer {
        try self.proxy.upstreamPeer(self.session, &self.context)
    }

    override func upstreamRequestFilter(_ request: inout RequestHead) throws {
        try self.proxy.upstreamRequestFilter(self.session, &request, &self.context)
    }

    override func upstreamResponseFilter(_ response: inout ResponseHead) {
        self.proxy.upstreamResponseFilter(self.session, &response, &self.context)
    }

    override func responseFilter(_ response: inout ResponseHead) throws {
        try self.proxy.responseFilter(self.session, &response, &self.context)
    }

    override func responseBodyFilter(_ body: inout ByteBuffer?, endOfStream: Bool) throws {
        try self.proxy.responseBodyFilter(self.session, &body, endOfStream: endOfStream, &self.context)
    }

    override func failToConnect(peer: HTTPPeer, error: ProxyError) -> Bool {
        self.proxy.failToConnect(self.session, peer: peer, error: error, &self.context)
    }

    override func errorWhileProxy(peer: HTTPPeer, error: ProxyError) -> ProxyError {
        self.proxy.errorWhileProxy(self.session, peer: peer, error: error, &self.context)
    }

    override func failToProxy(error: ProxyError) -> ProxyResponse {
        self.proxy.failToProxy(self.session, error: error, &self.context)
    }

    override func logging(_ record: ProxyLogRecord) {
        self.proxy.logging(self.session, record, &self.context)
    }
}

/// A `ProxyHTTP` implementation as the handlers hold it: what makes each request's
/// exchange with the implementation's phases bound to it. Made once per server.
struct ProxyPhases: Sendable {
    private let make: @Sendable (ProxySession, RequestFraming, Bool) -> ProxyExchange

    init<Proxy: ProxyHTTP>(_ proxy: Proxy) {
        // The exchange's class is looked up here, once: named inside the closure, its
        // generic metadata would be fetched from the runtime's cache for every request.
        let exchangeClass = BoundProxyExchange<Proxy>.self
        self.make = { session, framing, closeAfterResponse in
            exchangeClass.init(proxy: proxy, session: session, requestFraming: framing, closeAfterResponse: closeAfterResponse)
        }
    }

    func makeExchange(session: ProxySession, requestFraming: RequestFraming, closeAfterResponse: Bool) -> ProxyExchange {
        self.make(session, requestFraming, closeAfterResponse)
    }
}
