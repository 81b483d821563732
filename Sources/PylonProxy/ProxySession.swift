public import NIOCore
public import NIOHTTP1

/// One request as the phases of `ProxyHTTP` see it: the client's request head (which
/// `requestFilter` may edit before it is forwarded), who sent it, and how it went.
///
/// A session lives on its connection's event loop and is only touched there.
///
/// Its stored properties skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`):
/// it lives on one event loop and is only touched there, in code that never holds one of
/// them across a call back into the same object. The checks cost a thread-local lookup
/// per access, about 180 per proxied request across the request path's objects.
public final class ProxySession {
    /// The client's request head. Hop-by-hop headers are still present here; they are
    /// removed from the copy that goes upstream.
    @exclusivity(unchecked) public var request: RequestHead
    /// What every request of the connection shares: held once per connection, so a
    /// request costs one reference to it rather than one per address and name.
    let connection: ClientConnectionInfo
    /// When the request head was complete.
    public let startTime: NIODeadline
    /// How many upstream connect attempts were made so far (retries included).
    @exclusivity(unchecked) public internal(set) var connectAttempts = 0
    /// The peer the request went to last, if any.
    @exclusivity(unchecked) public internal(set) var peer: HTTPPeer?
    /// The status sent to the client, once a response head was written.
    @exclusivity(unchecked) public internal(set) var responseStatus: HTTPResponseStatus?
    /// Request body bytes read from the client so far.
    @exclusivity(unchecked) public internal(set) var requestBodyBytes = 0
    /// Response body bytes sent to the client so far.
    @exclusivity(unchecked) public internal(set) var responseBodyBytes = 0
    /// How many requests this connection served before this one.
    public let requestIndexOnConnection: Int

    /// The client's address (the TCP peer; a gateway may derive a different client IP).
    public var clientAddress: SocketAddress? { self.connection.clientAddress }
    /// The client's IP as text (`127.0.0.1`, `::1`), formatted once per connection.
    public var clientIP: String? { self.connection.clientIP }
    /// The source address from the connection's PROXY protocol header, on listeners that
    /// require one (`ProxyListener.proxyProtocol`): the client as the trusted proxy in
    /// front saw it. Nil elsewhere, and for headers without an address (v2 `LOCAL`, v1
    /// `UNKNOWN`). When set, it is the address appended to X-Forwarded-For.
    public var proxyProtocolSource: SocketAddress? { self.connection.proxyProtocolSource }
    /// `proxyProtocolSource`'s IP as text, formatted once per connection.
    public var proxyProtocolSourceIP: String? { self.connection.proxyProtocolSourceIP }
    /// The local address the request came in on.
    public var localAddress: SocketAddress? { self.connection.localAddress }
    /// The listener's name, as configured.
    public var listenerName: String { self.connection.listenerName }
    /// `http` or `https`, for X-Forwarded-Proto.
    public var scheme: String { self.connection.scheme }
    /// The event loop the connection and its upstream run on.
    public var eventLoop: any EventLoop { self.connection.eventLoop }

    init(request: RequestHead, connection: ClientConnectionInfo, requestIndexOnConnection: Int) {
        self.request = request
        self.connection = connection
        self.startTime = .now()
        self.requestIndexOnConnection = requestIndexOnConnection
    }

    package convenience init(
        request: RequestHead,
        clientAddress: SocketAddress?,
        clientIP: String?,
        proxyProtocolSource: SocketAddress?,
        proxyProtocolSourceIP: String?,
        localAddress: SocketAddress?,
        listenerName: String,
        scheme: String,
        eventLoop: any EventLoop,
        requestIndexOnConnection: Int
    ) {
        let connection = ClientConnectionInfo(
            clientAddress: clientAddress, clientIP: clientIP, proxyProtocolSource: proxyProtocolSource,
            proxyProtocolSourceIP: proxyProtocolSourceIP, localAddress: localAddress, listenerName: listenerName,
            scheme: scheme, eventLoop: eventLoop
        )
        self.init(request: request, connection: connection, requestIndexOnConnection: requestIndexOnConnection)
    }

    /// The request path without its query, e.g. `/family/1` for `/family/1?x=y`.
    public var path: Substring {
        var uri = self.request.uri
        // Searched in the contiguous bytes: `?` is ASCII, a Character search would break
        // graphemes, and a search through the UTF-8 view walks it index by index.
        guard let queryAt = uri.withUTF8({ $0.firstIndex(of: UInt8(ascii: "?")) }) else { return uri[...] }
        return uri[..<uri.utf8.index(uri.startIndex, offsetBy: queryAt)]
    }

    /// The Host header's value without a port, lowercased; nil when absent.
    public var host: String? {
        guard let host = self.request.headers.first(name: "host") else { return nil }
        if host.hasPrefix("[") {
            return host.firstIndex(of: "]").map { String(host[...$0]).lowercased() } ?? host.lowercased()
        }
        return (host.firstIndex(of: ":").map { String(host[..<$0]) } ?? host).lowercased()
    }
}

/// Who is on the other end of a client connection and where it came in: the same for
/// every request (or stream) the connection carries.
final class ClientConnectionInfo {
    let clientAddress: SocketAddress?
    let clientIP: String?
    let proxyProtocolSource: SocketAddress?
    let proxyProtocolSourceIP: String?
    let localAddress: SocketAddress?
    let listenerName: String
    let scheme: String
    let eventLoop: any EventLoop

    init(
        clientAddress: SocketAddress?, clientIP: String?, proxyProtocolSource: SocketAddress?, proxyProtocolSourceIP: String?,
        localAddress: SocketAddress?, listenerName: String, scheme: String, eventLoop: any EventLoop
    ) {
        self.clientAddress = clientAddress
        self.clientIP = clientIP
        self.proxyProtocolSource = proxyProtocolSource
        self.proxyProtocolSourceIP = proxyProtocolSourceIP
        self.localAddress = localAddress
        self.listenerName = listenerName
        self.scheme = scheme
        self.eventLoop = eventLoop
    }
}
