import NIOCore
import NIOHTTP1
import NIOPosix
import PylonProxy

#if canImport(Glibc)
import Glibc
#endif

/// One active check of one target, on an event loop, never blocking it: a TCP connect, or
/// an HTTP `GET` whose status must match, in the HTTP version the target is proxied with
/// (over HTTP/2: one stream on a connection of its own). The whole probe, connect included,
/// must finish within `timeout`.
enum HealthProbe {
    /// What a probe found.
    enum Outcome: Equatable, Sendable {
        case healthy
        case unhealthy(reason: String)
    }

    /// `tls` and `httpVersion`: the target's, which an HTTP check speaks as proxied requests
    /// do (a TCP check only connects).
    static func run(
        _ probe: HealthCheckConfig.Probe, address: SocketAddress, targetName: String, tls: UpstreamTLS? = nil,
        httpVersion: UpstreamHTTPVersion = .http1_1, timeout: TimeAmount, on loop: any EventLoop
    ) -> EventLoopFuture<Outcome> {
        switch probe {
        case .tcp:
            return self.connect(address: address, timeout: timeout, on: loop)
        case .http(let path, let expectStatus, let host):
            return self.get(
                path: path, host: host ?? targetName, expectStatus: expectStatus, address: address, tls: tls,
                httpVersion: httpVersion, timeout: timeout, on: loop
            )
        }
    }

    /// Connected within the timeout: healthy. The connection is closed at once.
    private static func connect(address: SocketAddress, timeout: TimeAmount, on loop: any EventLoop) -> EventLoopFuture<Outcome> {
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .connect(to: address)
            .map { channel -> Outcome in
                channel.close(promise: nil)
                return .healthy
            }
            .recover { error in .unhealthy(reason: Self.describe(error, timeout: timeout)) }
    }

    private static func get(
        path: String, host: String, expectStatus: Int, address: SocketAddress, tls: UpstreamTLS?,
        httpVersion: UpstreamHTTPVersion, timeout: TimeAmount, on loop: any EventLoop
    ) -> EventLoopFuture<Outcome> {
        let status = loop.makePromise(of: Int.self)
        let deadline = loop.scheduleTask(in: timeout) {
            status.fail(HealthProbeTimeout())
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "User-Agent", value: "pylon-health-check")
        head.headers.add(name: "Connection", value: "close")
        let request = head
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try tls?.addClientHandler(to: channel.pipeline.syncOperations)
                    switch httpVersion {
                    case .http1_1:
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(HTTPHealthProbeHandler(request: request, status: status))
                    case .http2:
                        try HTTP2HealthProbe.addConnectionHandlers(to: channel)
                    }
                }
            }
            .connect(to: address)
        connected.whenFailure { status.fail($0) }
        if httpVersion == .http2 {
            connected.whenSuccess { channel in
                HTTP2HealthProbe.sendRequest(request, on: channel, secure: tls != nil, status: status)
            }
        }
        // However the probe ends, its connection is closed and the timer cancelled.
        status.futureResult.whenComplete { _ in
            deadline.cancel()
            connected.whenSuccess { $0.close(promise: nil) }
        }
        return status.futureResult
            .map { code -> Outcome in
                code == expectStatus ? .healthy : .unhealthy(reason: "status \(code), expected \(expectStatus)")
            }
            .recover { error in .unhealthy(reason: Self.describe(error, timeout: timeout)) }
    }

    private static func describe(_ error: any Error, timeout: TimeAmount) -> String {
        switch error {
        case ChannelError.connectTimeout, is HealthProbeTimeout:
            "no answer within \(timeout)"
        case let error as IOError:
            String(cString: strerror(error.errnoCode)).lowercased()
        default:
            "\(error)"
        }
    }
}

/// The probe took longer than its timeout.
struct HealthProbeTimeout: Error {}

/// Sends the probe request when connected and reports the response's status code.
final class HTTPHealthProbeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: HTTPRequestHead
    private let status: EventLoopPromise<Int>

    init(request: HTTPRequestHead, status: EventLoopPromise<Int>) {
        self.request = request
        self.status = status
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(self.request)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data) {
            self.status.succeed(Int(head.status.code))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.status.fail(HealthProbeClosed())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.status.fail(error)
        context.close(promise: nil)
    }
}

/// The target closed the connection before sending a response head.
struct HealthProbeClosed: Error, CustomStringConvertible {
    var description: String { "closed before a response" }
}
