package import NIOHTTP1

/// The head of the request Pylon sends upstream, built the same way whichever protocol the
/// client spoke: `Expect` goes (Pylon answers 100-continue itself), hop-by-hop fields go
/// (RFC 9110 §7.6.1), the forwarding fields are added, the framing fields say how the
/// body will be sent, and an HTTP/2 client's split `cookie` fields become one for an
/// HTTP/1.1 upstream. The `upstreamRequestFilter` phase sees the result.
package enum UpstreamRequestHead {
    /// One pass over the client's fields that drops what does not go upstream and collects
    /// the lists Pylon appends to, instead of a scan per field removed or replaced.
    package static func make(
        for session: ProxySession, framing: RequestFraming, forwarding: ProxyServerConfiguration.Forwarding,
        upstreamVersion: UpstreamHTTPVersion
    ) -> HTTPRequestHead {
        var head = session.request
        // Behind a PROXY-protocol balancer the TCP peer is the balancer; the client is
        // the address its header carried.
        let forwardedForIP = forwarding.xForwardedFor ? session.proxyProtocolSourceIP ?? session.clientIP : nil
        // The options `Connection` names, collected on the way and removed at the end: a
        // pass of their own would walk every field again for what is almost always nothing.
        var nominated: [Substring] = []
        var fields: [(String, String)] = []
        // Room for the fields added here and those the gateway adds next (Host, the request
        // ID, header rules): growing the array would copy it.
        fields.reserveCapacity(head.headers.count + 8)
        var forwardedFor: String? = nil
        var via: String? = nil
        // An HTTP/2 client may split `cookie` into a field per pair (RFC 9113 §8.2.3); an
        // HTTP/1.1 message has one field, its pairs joined with "; ". An HTTP/2 upstream
        // takes them split as they came.
        let joinsCookies = upstreamVersion == .http1_1 && head.version.major == 2
        var firstCookie: Int? = nil
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 3 where forwarding.via && name.isFieldName("via"):
                via = via.map { $0 + ", " + value } ?? value
                continue
            case 6 where name.isFieldName("expect"):
                // Pylon answers 100-continue itself.
                continue
            case 6 where joinsCookies && name.isFieldName("cookie"):
                // In place of the first, so the pairs keep their order and place. No
                // `Connection` field can nominate it: an HTTP/2 request has none.
                if let firstCookie {
                    fields[firstCookie].1 += "; " + value
                } else {
                    firstCookie = fields.count
                    fields.append((name, value))
                }
                continue
            case 14 where name.isFieldName("content-length"):
                // Set below from how the body will be sent.
                continue
            case 15 where forwardedForIP != nil && name.isFieldName("x-forwarded-for"):
                forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
                continue
            case 17 where forwarding.xForwardedProto && name.isFieldName("x-forwarded-proto"):
                continue
            default:
                break
            }
            if HopByHopHeaders.isStandard(name) {
                if name.isFieldName("connection") { HopByHopHeaders.addNominated(by: value, to: &nominated) }
                continue
            }
            fields.append((name, value))
        }
        if !nominated.isEmpty { fields.removeAll { HopByHopHeaders.isNominated($0.0, in: nominated) } }
        // Appended after the client's fields, each list extended in order (RFC 9110 §5.3:
        // several lines form one list).
        if let forwardedForIP {
            fields.append(("X-Forwarded-For", forwardedFor.map { $0 + ", " + forwardedForIP } ?? forwardedForIP))
        }
        if forwarding.xForwardedProto {
            fields.append(("X-Forwarded-Proto", session.scheme))
        }
        if forwarding.via {
            let this = Self.viaElement(receivedWith: session.request.version, forwarding)
            fields.append(("Via", via.map { $0 + ", " + this } ?? this))
        }
        switch framing {
        case .none:
            if head.method == .POST || head.method == .PUT || head.method == .PATCH {
                fields.append(("Content-Length", "0"))
            }
        case .contentLength(let length):
            fields.append(("Content-Length", String(length)))
        case .chunked:
            fields.append(("Transfer-Encoding", "chunked"))
        }
        head.headers = HTTPHeaders(fields)
        // Setting the version copies the head's storage, shared with the client's request.
        if head.version != .http1_1 { head.version = .http1_1 }
        if upstreamVersion == .http2 { HTTP2UpstreamRequestHead.adapt(&head, clientRequest: session.request) }
        return head
    }

    private static func viaElement(receivedWith version: HTTPVersion, _ forwarding: ProxyServerConfiguration.Forwarding) -> String {
        if version.major == 1, version.minor == 1 { return forwarding.viaElementForHTTP11 }
        return "\(version.viaProtocolVersion) \(forwarding.viaName)"
    }

    /// Adds this proxy to `Via` (RFC 9110 §7.6.3), naming the protocol the message came in
    /// with; requests and responses alike.
    static func appendVia(
        receivedWith version: HTTPVersion, _ forwarding: ProxyServerConfiguration.Forwarding, to headers: inout HTTPHeaders
    ) {
        Self.appendListElement(Self.viaElement(receivedWith: version, forwarding), to: "Via", in: &headers)
    }

    /// Appends `element` to a comma-separated list field, keeping every existing field
    /// line's elements in order (RFC 9110 §5.3: several lines form one list).
    private static func appendListElement(_ element: String, to name: String, in headers: inout HTTPHeaders) {
        guard headers.contains(name: name) else {
            headers.add(name: name, value: element)
            return
        }
        headers.replaceOrAdd(name: name, value: (headers[name] + [element]).joined(separator: ", "))
    }
}
