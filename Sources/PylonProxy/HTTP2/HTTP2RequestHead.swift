import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// A client's HTTP/2 request header block as the request head every phase sees, and its
/// trailer block as trailer fields.
///
/// nio-http2 has already checked the block (`headerBlockValidation`: field names, values,
/// pseudo-header order, no connection-specific fields, `te` only as `trailers`). On top of
/// that this insists, as nio-http2's HTTP/1 server codec did, on exactly one valid
/// `:method`, `:path`, `:scheme` and `:authority`, which also turns away CONNECT (it has no
/// `:path`); and, as that codec did, a request without a `host` field gets one from
/// `:authority`, so routing by host works as it does over HTTP/1.1.
enum HTTP2RequestHead {
    static func make(from block: HPACKHeaders) throws -> RequestHead {
        var method: String?
        var path: String?
        var scheme: String?
        var authority: String?
        var hasHost = false
        var fields = HeaderFields()
        // Room for every field: the pseudo-headers make up for the host field that may be added.
        fields.reserveCapacity(block.count)
        for (name, value, _) in block {
            guard name.utf8.first == UInt8(ascii: ":") else {
                if name == "host" { hasHost = true }
                fields.add(name: name, value: value)
                continue
            }
            switch name {
            case ":method": try Self.take(name, value, into: &method)
            case ":path": try Self.take(name, value, into: &path)
            case ":scheme": try Self.take(name, value, into: &scheme)
            case ":authority": try Self.take(name, value, into: &authority)
            default: break  // Any other is refused by nio-http2's validation before it gets here.
            }
        }
        guard let method else { throw NIOHTTP2Errors.missingPseudoHeader(":method") }
        guard let path else { throw NIOHTTP2Errors.missingPseudoHeader(":path") }
        guard scheme != nil else { throw NIOHTTP2Errors.missingPseudoHeader(":scheme") }
        guard let authority else { throw NIOHTTP2Errors.missingPseudoHeader(":authority") }
        if !hasHost { fields.insertFirst(name: "host", value: authority) }
        return RequestHead(version: .http2, method: HTTPMethod(rawValue: method), uri: path, headers: fields)
    }

    /// A trailing header block's fields (nio-http2 allows no pseudo-header fields in one).
    static func trailers(from block: HPACKHeaders) -> HTTPHeaders {
        var fields: [(String, String)] = []
        fields.reserveCapacity(block.count)
        for (name, value, _) in block where name.utf8.first != UInt8(ascii: ":") {
            fields.append((name, value))
        }
        return HTTPHeaders(fields)
    }

    /// Records a pseudo-header field's value: once, and only a value that cannot break the
    /// HTTP/1.1 request line it may become (no controls, no spaces, no DEL).
    private static func take(_ name: String, _ value: String, into slot: inout String?) throws {
        guard slot == nil else { throw NIOHTTP2Errors.duplicatePseudoHeader(name) }
        guard !value.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw NIOHTTP2Errors.invalidPseudoHeaderValue(name: name, value: value)
        }
        slot = value
    }
}
