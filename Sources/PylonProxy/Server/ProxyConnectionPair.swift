package import Logging
package import NIOCore

/// A client connection served by the proxy and an upstream connection pooled for it, on
/// channels the caller made. `head-bench` drives the pair on EmbeddedChannels to time a
/// whole exchange through the framework in-process: parsing, the phases, the session and
/// exchange, the pool, both heads written, with no socket and no other process involved.
package enum ProxyConnectionPair {
    /// Serves `client` with `proxy`, and pools an idle connection to `peer` on `upstream`,
    /// which the first request to `peer` takes. Both channels must be active and share an
    /// event loop; call this on it.
    package static func install<Proxy: ProxyHTTP>(
        proxy: Proxy, configuration: ProxyServerConfiguration, peer: HTTPPeer, client: any Channel, upstream: any Channel,
        logger: Logger
    ) throws {
        let pool = UpstreamPool(eventLoop: client.eventLoop, logger: logger)
        let connection = UpstreamConnection(peer: peer, headBuffers: pool.headBuffers)
        try upstream.pipeline.syncOperations.addHandler(connection)
        pool.giveBackUnused(connection)
        try client.pipeline.syncOperations.addHandler(
            HTTP1ProxyConnection(
                phases: ProxyPhases(proxy), configuration: configuration, pool: pool, listenerName: "http", scheme: "http", logger: logger
            )
        )
    }
}
