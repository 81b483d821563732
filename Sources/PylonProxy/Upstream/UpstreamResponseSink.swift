import NIOCore
import NIOHTTP1

/// Receives what an upstream connection reads, in order. Implemented by the client
/// connection whose request the upstream connection is serving; always called on
/// the shared event loop.
protocol UpstreamResponseSink: AnyObject {
    /// A response head: 1xx interim ones first, then the final one. Its hop-by-hop fields
    /// are already gone; `contentLength` is the length its Content-Length announced. The
    /// head is handed over, so the filters that edit its fields need not copy them first.
    func upstreamResponseHead(_ head: consuming ResponseHead, contentLength: Int?)
    func upstreamResponseBody(_ body: ByteBuffer)
    /// The response is complete; `trailers` are its trailer fields, if it had any (chunked
    /// HTTP/1.1 trailers, or an HTTP/2 trailing HEADERS frame: gRPC's `grpc-status`).
    func upstreamResponseEnd(trailers: HTTPHeaders?)
    /// The end of one batch of reads: the moment to flush what was written downstream.
    func upstreamReadComplete()
    /// The connection failed (closed, timed out, sent garbage) before the response was complete.
    func upstreamFailed(_ error: ProxyError)
    /// The upstream socket's send buffer filled up or drained.
    func upstreamWritabilityChanged(isWritable: Bool)
}
