import NIOCore
import NIOPosix

// `nio-relay LISTEN_PORT UPSTREAM_PORT`: the floor `scripts/bench` measures Pylon against.
//
// Every client connection gets one upstream connection of its own, and bytes are relayed
// both ways as they come, flushed once per read cycle, with reads held while the other
// side cannot take more. No HTTP is parsed or written, nothing is pooled, nothing is
// looked up per request: what this costs per request is what SwiftNIO's channels and the
// kernel cost a proxy on this machine, and a proxy built on them can be no cheaper. The
// gap between it and Pylon is Pylon's own work.

/// One direction's reader: what it reads goes out on `peer`.
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var peer: (any Channel)?
    private var context: ChannelHandlerContext?
    /// Read before the peer was connected.
    private var early: [ByteBuffer] = []
    private var wrote = false
    private var readPending = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// The context holds this handler: let go of it (and the peer) so neither outlives the channel.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.peer = nil
    }

    func connect(to peer: any Channel) {
        self.peer = peer
        for buffer in self.early { peer.write(buffer, promise: nil) }
        if !self.early.isEmpty { peer.flush() }
        self.early = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        guard let peer = self.peer else { return self.early.append(buffer) }
        peer.write(buffer, promise: nil)
        self.wrote = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.wrote {
            self.wrote = false
            self.peer?.flush()
        }
    }

    /// Reads wait while the peer's outbound buffer is full.
    func read(context: ChannelHandlerContext) {
        if let peer = self.peer, !peer.isWritable {
            self.readPending = true
        } else {
            context.read()
        }
    }

    /// The peer can take more again: resume a read that waited for it.
    func peerBecameWritable() {
        guard self.readPending, let context = self.context else { return }
        self.readPending = false
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let peer = self.peer {
            peer.pipeline.handler(type: RelayHandler.self).assumeIsolated().whenSuccess { $0.peerBecameWritable() }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.peer?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let listenPort = Int(arguments[1]), let upstreamPort = Int(arguments[2]) else {
    print("usage: nio-relay LISTEN_PORT UPSTREAM_PORT (both on 127.0.0.1)")
    exit(2)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { client in
        client.eventLoop.makeCompletedFuture {
            try client.pipeline.syncOperations.addHandler(RelayHandler())
        }.flatMap {
            ClientBootstrap(group: client.eventLoop)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { upstream in
                    upstream.eventLoop.makeCompletedFuture {
                        let toClient = RelayHandler()
                        toClient.connect(to: client)
                        try upstream.pipeline.syncOperations.addHandler(toClient)
                    }
                }
                .connect(host: "127.0.0.1", port: upstreamPort)
                .flatMapThrowing { upstream in
                    try client.pipeline.syncOperations.handler(type: RelayHandler.self).connect(to: upstream)
                }
        }
    }
    .bind(host: "127.0.0.1", port: listenPort)
    .wait()
print("nio-relay: 127.0.0.1:\(listenPort) -> 127.0.0.1:\(upstreamPort)")
try server.closeFuture.wait()
