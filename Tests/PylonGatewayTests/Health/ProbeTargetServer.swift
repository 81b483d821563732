import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback server for health-check tests: counts the connections it accepts and, when
/// `httpStatus` is set, answers every HTTP request with it.
final class ProbeTargetServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let accepted = NIOLockedValueBox(0)

    var acceptedConnections: Int { self.accepted.withLockedValue { $0 } }

    init(group: any EventLoopGroup, httpStatus: HTTPResponseStatus? = nil, port: Int = 0) throws {
        let accepted = self.accepted
        self.channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                accepted.withLockedValue { $0 += 1 }
                guard let httpStatus else { return channel.eventLoop.makeSucceededVoidFuture() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StatusResponder(status: httpStatus))
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        self.port = self.channel.localAddress!.port!
    }

    var address: SocketAddress { try! SocketAddress(ipAddress: "127.0.0.1", port: self.port) }

    func close() {
        try? self.channel.close().wait()
    }

    /// A port nothing listens on (bound, then closed).
    static func closedPort(group: any EventLoopGroup) throws -> Int {
        let server = try ProbeTargetServer(group: group)
        server.close()
        return server.port
    }
}

private final class StatusResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let status: HTTPResponseStatus

    init(status: HTTPResponseStatus) {
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = self.unwrapInboundIn(data) else { return }
        var head = HTTPResponseHead(version: .http1_1, status: self.status)
        head.headers.add(name: "Content-Length", value: "0")
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
