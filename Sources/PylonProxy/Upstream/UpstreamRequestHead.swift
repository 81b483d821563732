import NIOHTTP1

/// The head of the request Pylon sends upstream, built the same way whichever protocol the
/// client spoke: `Expect` goes (Pylon answers 100-continue itself), hop-by-hop fields go
/// (RFC 9110 §7.6.1), the forwarding fields are added, the framing fields say how the
/// body will be sent, and an HTTP/2 client's split `cookie` fields become one for an
/// HTTP/1.1 upstream. The `upstreamRequestFilter` phase sees the result.
package enum UpstreamRequestHead {
    /// One pass over the client's fields that drops what does not go upstream and collects
    /// the lists Pylon appends to, instead of a scan per field removed or replaced. The
    /// client's field bytes are copied once; a field that goes on unchanged is the same
    /// offsets into the copy.
    package static func make(
        for session: ProxySession, framing: RequestFraming, forwarding: ProxyServerConfiguration.Forwarding,
        upstreamVersion: UpstreamHTTPVersion
    ) -> RequestHead {
        let request = session.request
        let client = request.headers
        // Behind a PROXY-protocol balancer the TCP peer is the balancer; the client is
        // the address its header carried.
        let forwardedForIP = forwarding.xForwardedFor ? session.proxyProtocolSourceIP ?? session.clientIP : nil
        // The options `Connection` names, collected on the way and removed at the end: a
        // pass of their own would walk every field again for what is almost always nothing.
        var nominated: [Substring] = []
        // Room for the fields added here and those the gateway adds next (Host, the request
        // ID, header rules): growing the storage would copy it.
        var fields = HeaderFields(
            storage: client.storage.withUnsafeBytes {
                FieldStorage(copying: $0, reservingExtraBytes: HeaderFields.roomForEdits, lineCapacity: client.count + 8)
            }
        )
        var forwardedFor: String? = nil
        var via: String? = nil
        // An HTTP/2 client may split `cookie` into a field per pair (RFC 9113 §8.2.3); an
        // HTTP/1.1 message has one field, its pairs joined with "; ". An HTTP/2 upstream
        // takes them split as they came.
        let joinsCookies = upstreamVersion == .http1_1 && request.version.major == 2
        var cookie: (line: Int, value: String, joined: Bool)? = nil
        client.storage.withLines { clientLines, bytes in
            for line in clientLines {
                switch line.nameCount {
                case 3 where forwarding.via && line.hasName("via", in: bytes):
                    let value = line.value(in: bytes)
                    via = via.map { $0 + ", " + value } ?? value
                    continue
                case 6 where line.hasName("expect", in: bytes):
                    // Pylon answers 100-continue itself.
                    continue
                case 6 where joinsCookies && line.hasName("cookie", in: bytes):
                    // In place of the first, so the pairs keep their order and place. No
                    // `Connection` field can nominate it: an HTTP/2 request has none.
                    if let first = cookie {
                        cookie = (first.line, first.value + "; " + line.value(in: bytes), true)
                        continue
                    }
                    cookie = (fields.count, line.value(in: bytes), false)
                case 14 where line.hasName("content-length", in: bytes):
                    // Set below from how the body will be sent.
                    continue
                case 15 where forwardedForIP != nil && line.hasName("x-forwarded-for", in: bytes):
                    let value = line.value(in: bytes)
                    forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
                    continue
                case 17 where forwarding.xForwardedProto && line.hasName("x-forwarded-proto", in: bytes):
                    continue
                default:
                    break
                }
                let name = line.nameBytes(in: bytes)
                if HopByHopHeaders.isStandard(utf8: name) {
                    if FieldName.matches(name, "connection") {
                        HopByHopHeaders.addNominated(by: line.valueBytes(in: bytes), to: &nominated)
                    }
                    continue
                }
                // The same offsets: the bytes were copied whole.
                fields.storage.appendLine(line)
            }
        }
        if let cookie, cookie.joined { fields.setValue(cookie.value, at: cookie.line) }
        if !nominated.isEmpty { fields.removeLines { HopByHopHeaders.isNominated(utf8: $0, in: nominated) } }
        // Appended after the client's fields, each list extended in order (RFC 9110 §5.3:
        // several lines form one list).
        if let forwardedForIP {
            fields.add(literalName: "X-Forwarded-For", value: forwardedFor.map { $0 + ", " + forwardedForIP } ?? forwardedForIP)
        }
        if forwarding.xForwardedProto {
            fields.add(literalName: "X-Forwarded-Proto", value: session.scheme)
        }
        if forwarding.via {
            let this = Self.viaElement(receivedWith: request.version, forwarding)
            fields.add(literalName: "Via", value: via.map { $0 + ", " + this } ?? this)
        }
        switch framing {
        case .none:
            switch request.method {
            case .POST, .PUT, .PATCH:
                fields.add(literalName: "Content-Length", value: "0")
            default:
                break
            }
        case .contentLength(let length):
            fields.add(literalName: "Content-Length", value: String(length))
        case .chunked:
            fields.add(literalName: "Transfer-Encoding", value: "chunked")
        }
        var head = RequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: fields)
        if upstreamVersion == .http2 { HTTP2UpstreamRequestHead.adapt(&head, clientRequest: request) }
        return head
    }

    private static func viaElement(receivedWith version: HTTPVersion, _ forwarding: ProxyServerConfiguration.Forwarding) -> String {
        if version.major == 1, version.minor == 1 { return forwarding.viaElementForHTTP11 }
        return "\(version.viaProtocolVersion) \(forwarding.viaName)"
    }

    /// Adds this proxy to `Via` (RFC 9110 §7.6.3), naming the protocol the message came in
    /// with; requests and responses alike.
    static func appendVia(
        receivedWith version: HTTPVersion, _ forwarding: ProxyServerConfiguration.Forwarding, to headers: inout HeaderFields
    ) {
        Self.appendListElement(Self.viaElement(receivedWith: version, forwarding), to: "Via", in: &headers)
    }

    /// Appends `element` to a comma-separated list field, keeping every existing field
    /// line's elements in order (RFC 9110 §5.3: several lines form one list).
    private static func appendListElement(_ element: String, to name: StaticString, in headers: inout HeaderFields) {
        guard headers.contains(literalName: name) else {
            headers.add(literalName: name, value: element)
            return
        }
        let name = name.description
        headers.replaceOrAdd(name: name, value: (headers[name] + [element]).joined(separator: ", "))
    }
}
