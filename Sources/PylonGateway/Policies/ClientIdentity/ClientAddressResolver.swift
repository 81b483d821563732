import NIOCore
import NIOHTTP1
import PylonProxy

/// Decides which address a request comes from, believing forwarding claims only from
/// `trusted_proxies`.
///
/// The connection's client is the TCP peer, or the source of its PROXY protocol header
/// (which `PylonProxy` accepts only from trusted peers). If that client is itself trusted,
/// X-Forwarded-For is walked from the right — the end the trusted proxies appended to —
/// skipping trusted addresses, and the first untrusted one is the client: entries further
/// left are whatever that client claimed and prove nothing. A malformed entry stops the
/// walk at the last trusted proxy before it, the closest address known to be true; if every
/// entry is trusted, the leftmost is the client.
///
/// An untrusted client's own X-Forwarded-For is dropped from the request (when the gateway
/// appends to the header, `forwarding.x_forwarded_for`), so upstreams that read the header
/// from the left are not fooled either.
struct ClientAddressResolver: Sendable {
    let trustedProxies: TrustedProxies
    let dropsUntrustedForwardedFor: Bool

    static let forwardedFor = "X-Forwarded-For"

    /// The client's IP as text; drops an untrusted client's X-Forwarded-For from `session.request`.
    func resolve(_ session: ProxySession) -> String? {
        let decision = self.resolve(
            connectionClient: session.proxyProtocolSource ?? session.clientAddress,
            connectionClientIP: session.proxyProtocolSourceIP ?? session.clientIP,
            headers: session.request.headers
        )
        if decision.dropForwardedFor { session.request.headers.remove(name: Self.forwardedFor) }
        return decision.clientIP
    }

    /// The scheme the client used according to a trusted proxy in front: the last element
    /// of `X-Forwarded-Proto` (the one the nearest proxy wrote), if it is `http` or `https`.
    /// Nil when the connection is not from a trusted proxy or the header says nothing usable:
    /// the listener's own scheme stands, and the proxy overwrites whatever the client sent.
    func forwardedProto(_ session: ProxySession) -> String? {
        guard self.isFromTrustedProxy(session) else { return nil }
        return Self.forwardedProto(session.request.headers[Self.forwardedProtoHeader])
    }

    /// Whether the request's headers were written by a trusted proxy: the PROXY protocol
    /// source, else the TCP peer, is in `trusted_proxies`. (Behind a trusted L4 balancer
    /// speaking PROXY protocol the headers are the client's own, so the source counts.)
    func isFromTrustedProxy(_ session: ProxySession) -> Bool {
        guard !self.trustedProxies.isEmpty, let connectionClient = session.proxyProtocolSource ?? session.clientAddress,
            let immediate = IPAddress(connectionClient)
        else { return false }
        return self.trustedProxies.contains(immediate)
    }

    static let forwardedProtoHeader = "X-Forwarded-Proto"

    /// `http` or `https` from the last element of `lines`, ignoring case and spaces.
    static func forwardedProto(_ lines: [String]) -> String? {
        guard var last = lines.last?.split(separator: ",", omittingEmptySubsequences: false).last else { return nil }
        while let first = last.first, first == " " || first == "\t" { last = last.dropFirst() }
        while let final = last.last, final == " " || final == "\t" { last = last.dropLast() }
        let value = last.lowercased()
        return value == "http" || value == "https" ? value : nil
    }

    /// The decision for a request from `connectionClient` (the PROXY protocol source, else
    /// the TCP peer; `connectionClientIP` is its text) with `headers`: the client's IP, and
    /// whether the request's X-Forwarded-For must go.
    func resolve(
        connectionClient: SocketAddress?, connectionClientIP: String?, headers: HeaderFields
    ) -> (clientIP: String?, dropForwardedFor: Bool) {
        guard let connectionClient, let immediate = IPAddress(connectionClient) else { return (connectionClientIP, false) }
        guard !self.trustedProxies.isEmpty, self.trustedProxies.contains(immediate) else {
            let drop = self.dropsUntrustedForwardedFor && headers.contains(name: Self.forwardedFor)
            return (Self.normalized(immediate, socket: connectionClient, text: connectionClientIP), drop)
        }
        let lines = headers[Self.forwardedFor]
        guard !lines.isEmpty, let client = Self.walk(lines, trustedProxies: self.trustedProxies) else {
            return (Self.normalized(immediate, socket: connectionClient, text: connectionClientIP), false)
        }
        return (client.description, false)
    }

    /// The client named by X-Forwarded-For `lines` (in the order they came) when the
    /// request arrived from a trusted proxy; nil when the header names no usable address
    /// (the proxy that sent it is then the client).
    static func walk(_ lines: [String], trustedProxies: TrustedProxies) -> IPAddress? {
        var lastTrusted: IPAddress? = nil
        for line in lines.reversed() {
            for element in line.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).reversed() {
                let entry = Self.trimmed(element)
                // RFC 9110 §5.6.1: empty list elements are allowed and mean nothing.
                if entry.isEmpty { continue }
                guard let address = IPAddress(Substring(entry)) else { return lastTrusted }
                if !trustedProxies.contains(address) { return address }
                lastTrusted = address
            }
        }
        return lastTrusted
    }

    private static func trimmed(_ element: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var element = element
        while let first = element.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { element.removeFirst() }
        while let last = element.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { element.removeLast() }
        return element
    }

    /// An IPv4 peer on a dual-stack socket is reported as `::ffff:a.b.c.d`; rate limits and
    /// logs must see one spelling per client, so it becomes `a.b.c.d`.
    private static func normalized(_ address: IPAddress, socket: SocketAddress, text: String?) -> String? {
        if case .v6 = socket, address.isIPv4 { return address.description }
        return text
    }
}
