import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import PylonProxy

extension ProxyServerConfiguration.Forwarding {
    /// No X-Forwarded-For, X-Forwarded-Proto or Via: only the client's own fields go on.
    static var noneAdded: Self {
        var forwarding = Self()
        forwarding.xForwardedFor = false
        forwarding.xForwardedProto = false
        forwarding.via = false
        return forwarding
    }
}

/// The head Pylon makes of `request`, from 127.0.0.1 on a plain-HTTP listener, for an
/// upstream speaking `upstreamVersion`, and the session it was made from.
func upstreamHead(
    for request: RequestHead, framing: RequestFraming, forwarding: ProxyServerConfiguration.Forwarding = .init(),
    upstreamVersion: UpstreamHTTPVersion = .http1_1
) -> (session: ProxySession, head: RequestHead) {
    let session = ProxySession(
        request: request, clientAddress: nil, clientIP: "127.0.0.1", proxyProtocolSource: nil, proxyProtocolSourceIP: nil,
        localAddress: nil, listenerName: "http", scheme: "http", eventLoop: EmbeddedEventLoop(), requestIndexOnConnection: 0
    )
    let head = UpstreamRequestHead.make(for: session, framing: framing, forwarding: forwarding, upstreamVersion: upstreamVersion)
    return (session, head)
}

/// The whole request `writer` sends an HTTP/1.1 upstream for `head`, the body `pieces`
/// and `trailers`.
func writeUpstreamRequest(
    _ head: RequestHead, pieces: [[UInt8]], trailers: HTTPHeaders?, writer: inout UpstreamRequestWriter
) -> ByteBuffer {
    let allocator = ByteBufferAllocator()
    var bytes = writer.writeHead(head, allocator: allocator)
    for piece in pieces {
        if var prefix = writer.bodyPrefix(length: piece.count, allocator: allocator) { bytes.writeBuffer(&prefix) }
        bytes.writeBytes(piece)
        if var suffix = writer.bodySuffix { bytes.writeBuffer(&suffix) }
    }
    if var last = writer.end(trailers: trailers, allocator: allocator) { bytes.writeBuffer(&last) }
    return bytes
}

/// Every part SwiftNIO's own request decoder (llhttp) reads from `bytes`; throws what it
/// refuses them with.
func decodedByNIO(_ bytes: ByteBuffer) throws -> [HTTPServerRequestPart] {
    let channel = EmbeddedChannel()
    defer { _ = try? channel.finish() }
    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
    try channel.writeInbound(bytes)
    var parts: [HTTPServerRequestPart] = []
    while let part = try channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) }
    return parts
}
