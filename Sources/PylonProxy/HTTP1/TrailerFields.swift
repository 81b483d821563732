import NIOCore
import NIOHTTP1

/// Trailer fields on their way through the proxy (RFC 9110 §6.5), requests and responses
/// alike: forwarded as they came, less what describes one connection and what a trailer
/// section must not carry, and to an HTTP/1.1 client only when it asked for them.
enum TrailerFields {
    /// Whether a request's `TE` says its sender accepts trailers (RFC 9110 §10.1.4).
    static func areAccepted(by requestHeaders: HeaderFields) -> Bool {
        var accepted = false
        requestHeaders.forEachLine { name, value in
            guard !accepted, FieldName.matches(name, "te") else { return }
            // Each element is a transfer coding, perhaps with parameters: `trailers`, `gzip;q=0.5`.
            for coding in FieldListElements(value) {
                var codingName = coding.prefix { $0 != UInt8(ascii: ";") }
                while let last = codingName.last, FieldValue.isWhitespace(last) { codingName = codingName.dropLast() }
                if FieldName.matches(codingName, "trailers") { accepted = true }
            }
        }
        return accepted
    }

    /// `trailers` less hop-by-hop fields and those that must not be trailers; nil when
    /// nothing is left.
    static func forwardable(_ trailers: HTTPHeaders?) -> HTTPHeaders? {
        guard var trailers, !trailers.isEmpty else { return nil }
        HopByHopHeaders.remove(from: &trailers)
        // gRPC's two trailers and the like: usually nothing to drop, nothing to copy.
        guard trailers.contains(where: { Self.isForbidden($0.name) }) else {
            return trailers.isEmpty ? nil : trailers
        }
        var kept = HTTPHeaders()
        for (name, value) in trailers where !Self.isForbidden(name) {
            kept.add(name: name, value: value)
        }
        return kept.isEmpty ? nil : kept
    }

    /// Fields whose meaning is needed before the content, so a trailer cannot carry them
    /// (RFC 9110 §6.5.1): framing, routing (the forwarding fields this proxy vouches for
    /// in the head among them), request modifiers, authentication, response control data
    /// and content format. A recipient that merged one into the header section would let
    /// the trailer override what the proxy checked or set. Hop-by-hop ones
    /// (`Transfer-Encoding`, `TE`, `Trailer`, `Proxy-Authorization`, …) go with the rest of
    /// their kind. `Content-Digest` and `Repr-Digest` (RFC 9530) are meant for trailers and pass.
    static let forbidden: [String] = [
        // framing and routing
        "content-length", "host", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "via",
        // request modifiers
        "expect", "max-forwards", "range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
        "if-range", "cache-control", "pragma",
        // authentication and state
        "authorization", "www-authenticate", "authentication-info", "cookie", "set-cookie",
        // response control data
        "age", "expires", "date", "location", "retry-after", "vary",
        // content format
        "content-type", "content-encoding", "content-range", "content-language", "content-location",
    ]

    /// Whether `name` is one of `forbidden`, ignoring case, without allocating.
    static func isForbidden(_ name: String) -> Bool {
        let count = name.utf8.count
        for candidate in Self.forbidden where candidate.utf8.count == count {
            if name.utf8.elementsEqual(candidate.utf8, by: { $0 | 0x20 == $1 }) { return true }
        }
        return false
    }

    /// The end of a chunked body for an HTTP/1.1 client: the last chunk with `trailers` as
    /// its trailer section, if the client accepts trailers and any are left to forward.
    /// Nil: the plain last chunk (dropping trailers is what RFC 9110 §6.5 allows).
    static func lastChunk(with trailers: HTTPHeaders, request: RequestHead, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard Self.areAccepted(by: request.headers), let fields = Self.forwardable(trailers) else { return nil }
        return ResponseHeadWriter.lastChunk(trailers: fields, allocator: allocator)
    }
}
