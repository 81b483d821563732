import NIOCore

/// What makes pooled upstream connections interchangeable: the address, the TLS
/// context and server name they were opened with, and the HTTP version they speak.
struct UpstreamPoolKey: Hashable {
    var address: SocketAddress
    var tls: UpstreamTLS?
    var httpVersion: UpstreamHTTPVersion
}
