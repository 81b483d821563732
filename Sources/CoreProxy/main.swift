import Logging
import NIOCore
import NIOPosix
import PylonProxy

// `core-proxy LISTEN_PORT UPSTREAM_PORT`: Pylon's proxy framework with nothing on top, the
// middle layer `scripts/bench` measures between nio-relay and the gateway.
//
// It runs the same `ProxyServer` a worker runs, on one event loop, with the default
// `ProxyServerConfiguration` (X-Forwarded-For, X-Forwarded-Proto and Via added, as the
// gateway does by default), and `SinglePeerProxy`, whose only phase sends every request to
// one peer. So its cost per request is the framework's: parsing and writing heads, the phases'
// calls, the session and exchange, the pool. nio-relay below it is what SwiftNIO costs; the
// gateway above it adds routing, request IDs, client identity, header rules and metrics.

let arguments = CommandLine.arguments
guard arguments.count == 3, let listenPort = Int(arguments[1]), let upstreamPort = Int(arguments[2]) else {
    print("usage: core-proxy LISTEN_PORT UPSTREAM_PORT (the upstream on 127.0.0.1)")
    exit(2)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = ProxyServer(
    proxy: SinglePeerProxy(peer: HTTPPeer(address: try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort))),
    configuration: ProxyServerConfiguration(),
    group: group,
    logger: Logger(label: "core-proxy")
)
let addresses = try await server.start(listeners: [
    ProxyListener(name: "http", socket: .bind(try SocketAddress(ipAddress: "127.0.0.1", port: listenPort)))
])
print("core-proxy on \(addresses.map(\.description).joined(separator: ", ")) to 127.0.0.1:\(upstreamPort)")
while true { try await Task.sleep(for: .seconds(3600)) }
