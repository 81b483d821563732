import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PylonGateway
import PylonProxy

// `head-bench [ITERATIONS [ROW]]`: what the heads of one proxied HTTP/1.1 exchange cost Pylon,
// step by step, measured in-process with nothing else running: reading the client's
// request head, making the upstream head from it, writing that, reading the upstream's
// response (head and a short body) and writing the response head to the client.
//
// `scripts/bench --heads` runs it. The whole-system table cannot see a change of a few
// hundred nanoseconds in one step under the ±5% noise of a shared box; this can, and it
// says how much of Pylon's own cost per request is heads at all. Each step is timed over
// ITERATIONS operations (100000 by default) seven times and the least is reported: noise
// only ever adds time. Caches stay warm here, so in a real worker each step costs more.
//
// Last, the whole exchange: the client's request into an `HTTP1ProxyConnection`, out of
// it to a pooled upstream connection, the response back, on EmbeddedChannels with a
// `ProxyHTTP` that only picks the peer (as core-proxy runs). That is the framework's own
// cost per request, heads included, without the sockets and SwiftNIO's event loop that
// nio-relay measures. Then the same exchange through the gateway `scripts/bench` runs
// (one upstream, one route, no access log): the gateway's phases and what they make the
// framework do on top.

/// A request and the response it gets, as bytes on the wire.
struct Exchange {
    let name: String
    let request: String
    let response: String
}

let exchanges = [
    // What wrk sends, and what the nginx backend of `scripts/bench` answers on `/`.
    Exchange(
        name: "wrk → nginx",
        request: "GET / HTTP/1.1\r\nHost: 127.0.0.1:6191\r\n\r\n",
        response: """
            HTTP/1.1 200 OK\r
            Server: nginx/1.22.1\r
            Date: Thu, 26 Nov 2026 14:50:00 GMT\r
            Content-Type: text/plain\r
            Content-Length: 6\r
            Connection: keep-alive\r
            \r
            hello

            """
    ),
    // A browser's page load, answered with the caching fields a static file gets.
    Exchange(
        name: "browser",
        request: """
            GET /assets/app.js?v=3 HTTP/1.1\r
            Host: www.example.com\r
            User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0\r
            Accept: */*\r
            Accept-Language: en-GB,en;q=0.5\r
            Accept-Encoding: gzip, deflate, br, zstd\r
            Referer: https://www.example.com/\r
            Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r
            Connection: keep-alive\r
            Sec-Fetch-Dest: script\r
            Sec-Fetch-Mode: no-cors\r
            Sec-Fetch-Site: same-origin\r
            \r

            """,
        response: """
            HTTP/1.1 200 OK\r
            Server: nginx/1.22.1\r
            Date: Thu, 26 Nov 2026 14:50:00 GMT\r
            Content-Type: application/javascript\r
            Content-Length: 6\r
            Last-Modified: Tue, 24 Nov 2026 09:12:44 GMT\r
            Connection: keep-alive\r
            ETag: "6744ef2c-1a2b"\r
            Cache-Control: max-age=3600\r
            Vary: Accept-Encoding\r
            Accept-Ranges: bytes\r
            \r
            hello

            """
    ),
]

let iterations = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 100_000
let allocator = ByteBufferAllocator()
let loop = EmbeddedEventLoop()
/// Every step adds something of what it made here, so none of it is optimised away.
var sink = 0

/// The least time per operation of seven runs of `iterations` operations.
@MainActor
func nanosecondsPerOperation(_ operation: () throws -> Void) rethrows -> Double {
    var best = Duration.seconds(1_000)
    for _ in 0..<7 {
        let start = ContinuousClock.now
        for _ in 0..<iterations { try operation() }
        best = min(best, ContinuousClock.now - start)
    }
    let (seconds, attoseconds) = best.components
    return (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(iterations)
}

struct UnexpectedInput: Error, CustomStringConvertible {
    let description: String
}

@MainActor
func measure(_ exchange: Exchange) throws -> [(step: String, nanoseconds: Double)] {
    let requestBytes = ByteBuffer(string: exchange.request)
    let responseBytes = ByteBuffer(string: exchange.response)

    // The parser lives as long as its connection, as in a worker.
    var requestParser = HTTP1RequestParser()
    var request: RequestHead?
    let readRequest = try nanosecondsPerOperation {
        var input = requestBytes
        guard case .head(let head, _)? = try requestParser.next(&input), case .end? = try requestParser.next(&input) else {
            throw UnexpectedInput(description: "\(exchange.name): the request did not parse as one body-less request")
        }
        sink &+= head.headers.count
        request = head
    }

    let session = ProxySession(
        request: request!, clientAddress: try SocketAddress(ipAddress: "192.0.2.7", port: 40_000), clientIP: "192.0.2.7",
        proxyProtocolSource: nil, proxyProtocolSourceIP: nil, localAddress: nil, listenerName: "http", scheme: "http",
        eventLoop: loop, requestIndexOnConnection: 0
    )
    let forwarding = ProxyServerConfiguration().forwarding
    var upstreamHead: RequestHead?
    let makeUpstreamHead = nanosecondsPerOperation {
        let head = UpstreamRequestHead.make(for: session, framing: .none, forwarding: forwarding, upstreamVersion: .http1_1)
        sink &+= head.headers.count
        upstreamHead = head
    }

    var requestWriter = UpstreamRequestWriter()
    let headBuffers = HeadBufferCache()
    let writeUpstreamHead = nanosecondsPerOperation {
        let bytes = requestWriter.writeHead(upstreamHead!, allocator: allocator, buffers: headBuffers)
        sink &+= bytes.readableBytes
        headBuffers.recycle(bytes)
    }

    var responseParser = HTTP1ResponseParser()
    var response: ResponseHead?
    let readResponse = try nanosecondsPerOperation {
        var input = responseBytes
        responseParser.expectResponse(to: .GET)
        while let event = try responseParser.next(&input) {
            switch event {
            case .head(let head): response = head
            case .body(let body): sink &+= body.readableBytes
            case .end: return
            }
        }
        throw UnexpectedInput(description: "\(exchange.name): the response did not parse as one whole response")
    }

    var clientBytes = allocator.buffer(capacity: 1024)
    let writeResponseHead = nanosecondsPerOperation {
        clientBytes.clear()
        ResponseHeadWriter.write(response!, version: .http1_1, framing: .contentLength(6), connection: nil, into: &clientBytes)
        sink &+= clientBytes.readableBytes
    }

    return [
        ("read the request head", readRequest),
        ("make the upstream head", makeUpstreamHead),
        ("write the upstream head", writeUpstreamHead),
        ("read the response", readResponse),
        ("write the response head", writeResponseHead),
    ]
}

/// One whole exchange through the framework, client bytes in to client bytes out.
@MainActor
func measureWholeExchange(_ exchange: Exchange) throws -> Double {
    try measureWholeExchange(
        exchange, proxy: SinglePeerProxy(peer: HTTPPeer(address: try benchPeerAddress())), configuration: ProxyServerConfiguration()
    )
}

func benchPeerAddress() throws -> SocketAddress { try SocketAddress(ipAddress: "192.0.2.80", port: 80) }

/// `exchange` through `proxy`, which must send it to `benchPeerAddress()`.
@MainActor
func measureWholeExchange<Proxy: ProxyHTTP>(
    _ exchange: Exchange, proxy: Proxy, configuration: ProxyServerConfiguration
) throws -> Double {
    let peerAddress = try benchPeerAddress()
    let peer = HTTPPeer(address: peerAddress)
    let client = EmbeddedChannel(loop: loop)
    let upstream = EmbeddedChannel(loop: loop)
    try client.connect(to: try SocketAddress(ipAddress: "192.0.2.7", port: 40_000)).wait()
    try upstream.connect(to: peerAddress).wait()
    try ProxyConnectionPair.install(
        proxy: proxy, configuration: configuration, peer: peer, client: client,
        upstream: upstream, logger: Logger(label: "head-bench")
    )
    let request = ByteBuffer(string: exchange.request)
    let response = ByteBuffer(string: exchange.response)
    return try nanosecondsPerOperation {
        let (sent, answered) = try passExchange(request: request, response: response, client: client, upstream: upstream)
        guard sent > 0, answered > 0 else {
            throw UnexpectedInput(description: "\(exchange.name): \(sent) bytes went upstream, \(answered) came back")
        }
        sink &+= answered
    }
}

/// One whole exchange through the gateway of `scripts/bench`'s pylon.yaml, access log off.
@MainActor
func measureGatewayExchange(_ exchange: Exchange) throws -> Double {
    let config = try ConfigLoader.parse(
        yaml: """
            listeners: [{name: http, address: "127.0.0.1:6191"}]
            upstreams:
              backend: {targets: ["192.0.2.80:80"]}
            routes:
              - {path_prefix: /, upstream: backend}
            access_log: {enabled: false}
            """,
        file: "head-bench.yaml"
    )
    let segment = try SharedMemorySegment.anonymous()
    let gateway = try Gateway(config: config, sharedMemory: segment, metrics: GatewayMetrics(sharedMemory: segment), accessLog: nil)
    return try measureWholeExchange(exchange, proxy: gateway, configuration: ProxyServerConfiguration(config))
}

/// `request` into `client`, what `upstream` then sends read back, `response` into
/// `upstream`, and what `client` then sends read back: byte counts of both. Each side's
/// input is followed by the rest of the loop's tick (`run()`), where its flushes are made.
@MainActor
func passExchange(
    request: ByteBuffer, response: ByteBuffer, client: EmbeddedChannel, upstream: EmbeddedChannel
) throws -> (sent: Int, answered: Int) {
    try client.writeInbound(request)
    loop.run()
    var sent = 0
    while let bytes = try upstream.readOutbound(as: ByteBuffer.self) { sent += bytes.readableBytes }
    try upstream.writeInbound(response)
    loop.run()
    var answered = 0
    while let bytes = try client.readOutbound(as: ByteBuffer.self) { answered += bytes.readableBytes }
    return (sent, answered)
}

/// Passes what one channel reads to the other, flushed at the end of the read cycle: what
/// nio-relay does, here on EmbeddedChannels.
final class EmbeddedRelay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var peer: EmbeddedChannel?
    var wrote = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.peer?.write(self.unwrapInboundIn(data), promise: nil)
        self.wrote = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.wrote {
            self.wrote = false
            self.peer?.flush()
        }
    }
}

/// The same bytes through two relayed EmbeddedChannels: what the whole exchange costs
/// without any HTTP, so `whole exchange` minus this is the framework's own work.
@MainActor
func measureRelayedBytes(_ exchange: Exchange) throws -> Double {
    let client = EmbeddedChannel(loop: loop)
    let upstream = EmbeddedChannel(loop: loop)
    let toUpstream = EmbeddedRelay()
    let toClient = EmbeddedRelay()
    toUpstream.peer = upstream
    toClient.peer = client
    try client.pipeline.syncOperations.addHandler(toUpstream)
    try upstream.pipeline.syncOperations.addHandler(toClient)
    defer {
        toUpstream.peer = nil
        toClient.peer = nil
    }
    let request = ByteBuffer(string: exchange.request)
    let response = ByteBuffer(string: exchange.response)
    return try nanosecondsPerOperation {
        let (sent, answered) = try passExchange(request: request, response: response, client: client, upstream: upstream)
        sink &+= sent &+ answered
    }
}

/// `label`, padded to `width`, then `nanoseconds` rounded and right-aligned.
func row(_ label: String, _ nanoseconds: Double) -> String {
    let number = String(Int(nanoseconds.rounded()))
    return "  " + label + String(repeating: " ", count: max(1, 26 - label.count))
        + String(repeating: " ", count: max(0, 7 - number.count)) + number
}

/// Only the rows whose label contains this (`head-bench 100000 gateway`), so a profiler
/// sees one row's work alone.
let onlyRows = CommandLine.arguments.dropFirst(2).first

/// Prints `label`'s row, measured by `nanoseconds`, unless `onlyRows` leaves it out.
@MainActor
func report(_ label: String, _ nanoseconds: () throws -> Double) rethrows {
    if let onlyRows, !label.contains(onlyRows) { return }
    print(row(label, try nanoseconds()))
}

print("head-bench: ns per operation, the least of 7 runs of \(iterations)")
for exchange in exchanges {
    print("\n\(exchange.name)")
    if onlyRows == nil {
        let steps = try measure(exchange)
        for (step, nanoseconds) in steps { print(row(step, nanoseconds)) }
        print(row("all heads", steps.reduce(0) { $0 + $1.nanoseconds }))
    }
    try report("whole exchange") { try measureWholeExchange(exchange) }
    try report("through the gateway") { try measureGatewayExchange(exchange) }
    try report("bytes relayed") { try measureRelayedBytes(exchange) }
}
if sink == 42 { print("") }
