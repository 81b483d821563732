import NIOHTTP1

/// The head of the request Pylon sends upstream, built the same way whichever protocol the
/// client spoke: `Expect` goes (Pylon answers 100-continue itself), hop-by-hop fields go
/// (RFC 9110 §7.6.1), the forwarding fields are added, and the framing fields say how the
/// body will be sent. The `upstreamRequestFilter` phase sees the result.
enum UpstreamRequestHead {
    static func make(
        for session: ProxySession, framing: RequestFraming, forwarding: ProxyServerConfiguration.Forwarding,
        upstreamVersion: UpstreamHTTPVersion
    ) -> HTTPRequestHead {
        var head = session.request
        head.headers.remove(name: "expect")
        HopByHopHeaders.remove(from: &head.headers)
        Self.addForwardingFields(to: &head.headers, session, forwarding)
        switch framing {
        case .none:
            head.headers.remove(name: "content-length")
            if head.method == .POST || head.method == .PUT || head.method == .PATCH {
                head.headers.add(name: "Content-Length", value: "0")
            }
        case .contentLength(let length):
            head.headers.replaceOrAdd(name: "Content-Length", value: String(length))
        case .chunked:
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        head.version = .http1_1
        if upstreamVersion == .http2 { HTTP2UpstreamRequestHead.adapt(&head, clientRequest: session.request) }
        return head
    }

    private static func addForwardingFields(
        to headers: inout HTTPHeaders, _ session: ProxySession, _ forwarding: ProxyServerConfiguration.Forwarding
    ) {
        // Behind a PROXY-protocol balancer the TCP peer is the balancer; the client is
        // the address its header carried.
        if forwarding.xForwardedFor, let ip = session.proxyProtocolSourceIP ?? session.clientIP {
            Self.appendListElement(ip, to: "X-Forwarded-For", in: &headers)
        }
        if forwarding.xForwardedProto {
            headers.replaceOrAdd(name: "X-Forwarded-Proto", value: session.scheme)
        }
        if forwarding.via {
            Self.appendVia(receivedWith: session.request.version, forwarding, to: &headers)
        }
    }

    /// Adds this proxy to `Via` (RFC 9110 §7.6.3), naming the protocol the message came in
    /// with; requests and responses alike.
    static func appendVia(
        receivedWith version: HTTPVersion, _ forwarding: ProxyServerConfiguration.Forwarding, to headers: inout HTTPHeaders
    ) {
        Self.appendListElement("\(version.viaProtocolVersion) \(forwarding.viaName)", to: "Via", in: &headers)
    }

    /// Appends `element` to a comma-separated list field, keeping every existing field
    /// line's elements in order (RFC 9110 §5.3: several lines form one list).
    private static func appendListElement(_ element: String, to name: String, in headers: inout HTTPHeaders) {
        let existing = headers[name]
        if existing.isEmpty {
            headers.add(name: name, value: element)
        } else {
            headers.replaceOrAdd(name: name, value: (existing + [element]).joined(separator: ", "))
        }
    }
}
