import NIOCore
import NIOHTTP1
import NIOPosix
import PylonGateway

/// A tiny local HTTP server standing in for a public backend in `pylon demo`: it answers
/// every request with its own name, and sends `alt-svc` and `X-Powered-By` so a gateway's
/// removal of them shows.
struct DemoBackend {
    let channel: any Channel

    static func start(name: String, host: String, port: Int, group: any EventLoopGroup) async throws -> DemoBackend {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(DemoBackendHandler(name: name))
                }
            }
            .bind(host: host, port: port)
            .get()
        return DemoBackend(channel: channel)
    }

    /// Whether a built-in backend may stand in for `target`: only loopback addresses, so a
    /// demo never binds a public interface or claims a real server's address.
    static func canServe(_ target: HostAndPort) -> Bool {
        target.host == "localhost" || target.host == "::1" || target.host.hasPrefix("127.")
    }

    func stop() {
        self.channel.close(promise: nil)
    }
}

private final class DemoBackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let name: String
    private var head: HTTPRequestHead?

    init(name: String) {
        self.name = name
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            let body = "Hello from the \(self.name) backend: \(head.method) \(head.uri)\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            headers.add(name: "Server", value: "demo-backend/\(self.name)")
            headers.add(name: "alt-svc", value: "h3=\":443\"; ma=86400")
            headers.add(name: "X-Backend", value: self.name)
            headers.add(name: "X-Powered-By", value: "pylon-demo-backend")
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            if head.method != .HEAD {
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            }
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}
