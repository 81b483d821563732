import NIOCore

/// What makes pooled upstream connections interchangeable: the address, and the TLS
/// context and server name they were opened with.
struct UpstreamPoolKey: Hashable {
    var address: SocketAddress
    var tls: UpstreamTLS?
}
