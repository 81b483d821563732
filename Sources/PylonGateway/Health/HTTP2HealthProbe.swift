import NIOCore
import NIOHTTP1
import NIOHTTP2

/// The HTTP check of a target proxied over HTTP/2: the same `GET` as over HTTP/1.1, on one
/// stream of a connection of its own (h2c with prior knowledge, or TLS whose context offers
/// only `h2`), so a target that speaks only HTTP/1.1 fails it as its requests would.
enum HTTP2HealthProbe {
    /// nio-http2's client frame handler; the preface goes out once the connection is up.
    static func addConnectionHandlers(to channel: any Channel) throws {
        let http2 = NIOHTTP2Handler(mode: .client, eventLoop: channel.eventLoop) { stream in
            // Push is not used; a stream the target opens is closed.
            stream.close()
        }
        try channel.pipeline.syncOperations.addHandler(http2)
    }

    /// Opens the probe's stream on the connected `channel` and sends `request`; `status`
    /// gets the response's status code, or the failure.
    static func sendRequest(_ request: HTTPRequestHead, on channel: any Channel, secure: Bool, status: EventLoopPromise<Int>) {
        let scheme: HTTP2FramePayloadToHTTP1ClientCodec.HTTPProtocol = secure ? .https : .http
        do {
            let http2 = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self)
            let opened = channel.eventLoop.makePromise(of: (any Channel).self)
            opened.futureResult.whenFailure { status.fail($0) }
            try http2.syncMultiplexer().createStreamChannel(promise: opened) { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: scheme))
                    try stream.pipeline.syncOperations.addHandler(HTTPHealthProbeHandler(request: request, status: status))
                }
            }
        } catch {
            status.fail(error)
        }
    }
}
