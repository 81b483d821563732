import NIOCore
import NIOHTTP1

/// Trailer fields on their way through the proxy (RFC 9110 §6.5): forwarded as they came,
/// less what describes one connection or how the message is framed, and to an HTTP/1.1
/// client only when it asked for them.
enum TrailerFields {
    /// Whether a request's `TE` says its sender accepts trailers (RFC 9110 §10.1.4).
    static func areAccepted(by requestHeaders: HTTPHeaders) -> Bool {
        // Each element is a transfer coding, perhaps with parameters: `trailers`, `gzip;q=0.5`.
        requestHeaders[canonicalForm: "te"].contains { coding in
            var name = coding.prefix { $0 != ";" }
            while let last = name.last, last == " " || last == "\t" { name = name.dropLast() }
            return name.utf8.elementsEqual("trailers".utf8, by: { $0 | 0x20 == $1 })
        }
    }

    /// `trailers` less hop-by-hop fields and the framing and routing ones a trailer section
    /// must not carry (RFC 9110 §6.5.1); nil when nothing is left.
    static func forwardable(_ trailers: HTTPHeaders?) -> HTTPHeaders? {
        guard var trailers, !trailers.isEmpty else { return nil }
        HopByHopHeaders.remove(from: &trailers)
        for name in Self.framingAndRouting where trailers.contains(name: name) {
            trailers.remove(name: name)
        }
        return trailers.isEmpty ? nil : trailers
    }

    private static let framingAndRouting = ["content-length", "host"]

    /// The end of a chunked body for an HTTP/1.1 client: the last chunk with `trailers` as
    /// its trailer section, if the client accepts trailers and any are left to forward.
    /// Nil: the plain last chunk (dropping trailers is what RFC 9110 §6.5 allows).
    static func lastChunk(with trailers: HTTPHeaders, request: HTTPRequestHead, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard Self.areAccepted(by: request.headers), let fields = Self.forwardable(trailers) else { return nil }
        return ResponseHeadWriter.lastChunk(trailers: fields, allocator: allocator)
    }
}
