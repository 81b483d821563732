import Logging
import NIOCore
import NIOHTTP2

/// Turns a TLS connection whose ALPN chose `h2` into an HTTP/2 server connection: the
/// flushes of each loop tick made one (`HTTP2FlushCoalescer`), nio-http2's frame handler and
/// stream multiplexer (with the listener's settings and limits, through
/// `HTTP2ServerLimits`), the connection handler (client details every stream shares,
/// idle timeout, keep-alive PINGs, maximum age, the two-phase GOAWAY of a drain), and one
/// `HTTP2StreamProxy` per stream.
enum HTTP2ConnectionPipeline {
    static func install(
        on channel: any Channel,
        phases: ProxyPhases,
        configuration: ProxyServerConfiguration,
        http2: HTTP2ServerConfiguration,
        pool: UpstreamPool,
        listenerName: String,
        logger: Logger
    ) throws {
        let connection = HTTP2ClientConnection(
            logger: logger, idleTimeout: configuration.idleTimeout, http2: http2, eventLoop: channel.eventLoop
        )
        // Streams run on the connection's event loop, so the pool and the connection's
        // state are only ever touched there.
        let shared = NIOLoopBound((connection, pool), eventLoop: channel.eventLoop)
        let frameHandler = NIOHTTP2Handler(
            mode: .server,
            eventLoop: channel.eventLoop,
            connectionConfiguration: HTTP2ServerLimits.connection(http2, parserLimits: configuration.parserLimits),
            streamConfiguration: HTTP2ServerLimits.stream(http2),
            streamDelegate: connection.streamDelegate
        ) { stream in
            let (connection, pool) = shared.value
            let handler = HTTP2StreamProxy(
                phases: phases,
                configuration: configuration,
                pool: pool,
                listenerName: listenerName,
                connection: connection,
                logger: logger
            )
            // A future per stream only to say "done" would be an allocation per stream: the
            // event loop keeps a succeeded one to hand out.
            do {
                try stream.pipeline.syncOperations.addHandler(handler)
                return stream.eventLoop.makeSucceededVoidFuture()
            } catch {
                return stream.eventLoop.makeFailedFuture(error)
            }
        }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HTTP2FlushCoalescer(flushes: pool.flushes))
        try sync.addHandler(frameHandler)
        try sync.addHandler(connection)
    }
}
