import Logging
import NIOCore
import NIOPosix
import PylonProxy

// `core-proxy LISTEN_PORT UPSTREAM_PORT [bare]`: Pylon's proxy framework with nothing on
// top, the middle layer `scripts/bench` measures between nio-relay and the gateway.
//
// It runs the same `ProxyServer` a worker runs, on one event loop, with the default
// `ProxyServerConfiguration` (X-Forwarded-For, X-Forwarded-Proto and Via added, as the
// gateway does by default), and `SinglePeerProxy`, whose only phase sends every request to
// one peer. So its cost per request is the framework's: parsing and writing heads, the phases'
// calls, the session and exchange, the pool. nio-relay below it is what SwiftNIO costs; the
// gateway above it adds routing, request IDs, client identity, header rules and metrics.
// With `bare` it adds no forwarding fields and no Via, as `scripts/bench` runs it when every
// proxy is measured bare (BENCH_BARE=1).

let arguments = CommandLine.arguments
guard (3...4).contains(arguments.count), let listenPort = Int(arguments[1]), let upstreamPort = Int(arguments[2]),
    arguments.count == 3 || arguments[3] == "bare"
else {
    print("usage: core-proxy LISTEN_PORT UPSTREAM_PORT [bare] (the upstream on 127.0.0.1; bare: no forwarding fields, no Via)")
    exit(2)
}
var configuration = ProxyServerConfiguration()
if arguments.count == 4 {
    configuration.forwarding.xForwardedFor = false
    configuration.forwarding.xForwardedProto = false
    configuration.forwarding.via = false
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = ProxyServer(
    proxy: SinglePeerProxy(peer: HTTPPeer(address: try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort))),
    configuration: configuration,
    group: group,
    logger: Logger(label: "core-proxy")
)
let addresses = try await server.start(listeners: [
    ProxyListener(name: "http", socket: .bind(try SocketAddress(ipAddress: "127.0.0.1", port: listenPort)))
])
print("core-proxy on \(addresses.map(\.description).joined(separator: ", ")) to 127.0.0.1:\(upstreamPort)")
while true { try await Task.sleep(for: .seconds(3600)) }
