import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An in-process HTTP/1.1 origin server on 127.0.0.1:<ephemeral>, with behaviours chosen by
/// request path (see `TestBackendRoute`): `/`, `/echo`, `/headers`, `/bytes/N`, `/chunked/N`,
/// `/slow/MS`, `/slow-body/MS`, `/status/N`, `/truncate`, `/close`, `/sink`, `/continue`.
///
/// It records every request head and counts connections, so tests can prove what the proxy
/// forwarded and whether it pooled upstream connections. Every response carries
/// `X-Backend: <name>` plus `extraHeaders`.
///
/// One event-loop thread: plenty for tests, and keeps the 2-core CI box free for pylon.
final class TestBackend: Sendable, CustomStringConvertible {
    struct Configuration: Sendable {
        var name: String
        /// Added to every response (e.g. `("Alt-Svc", "h3=\":443\"")` to test stripping).
        var extraHeaders: [(String, String)]
        /// Answer `Expect: 100-continue` with an interim 100 (what real servers do). Turn off
        /// to simulate an origin that ignores it.
        var answersExpectContinue: Bool
    }

    let configuration: Configuration
    let port: Int
    var name: String { configuration.name }
    /// `127.0.0.1:PORT`, as written in pylon upstream targets.
    var address: String { "127.0.0.1:\(port)" }
    var url: String { "http://127.0.0.1:\(port)" }
    var description: String { "TestBackend(\(name) @ \(address))" }

    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let recorder = TestBackendRecorder()

    /// `tls`: serve HTTPS with this context instead of plain HTTP.
    init(
        name: String = "backend", extraHeaders: [(String, String)] = [], answersExpectContinue: Bool = true,
        tls: NIOSSLContext? = nil
    ) throws {
        let configuration = Configuration(name: name, extraHeaders: extraHeaders, answersExpectContinue: answersExpectContinue)
        let recorder = self.recorder
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                recorder.connectionAccepted()
                channel.closeFuture.whenComplete { _ in recorder.connectionClosed() }
                do {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        TestBackendHandler(configuration: configuration, recorder: recorder)
                    )
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        do {
            serverChannel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.group = group
        self.configuration = configuration
        self.port = serverChannel.localAddress?.port ?? 0
    }

    /// Every request head received, in arrival order.
    var receivedRequests: [HTTPRequestHead] { recorder.requests }
    /// Connections accepted since start (or `resetRecords`).
    var acceptedConnections: Int { recorder.accepted }
    /// Connections currently open.
    var openConnections: Int { recorder.open }

    /// Forgets recorded requests and the accepted-connection count (not open connections).
    func resetRecords() { recorder.reset() }

    /// Closes the listener and all connections; idempotent.
    func shutdown() {
        try? serverChannel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Thread-safe request/connection bookkeeping shared by a backend's connection handlers
/// (event-loop thread) and the test (test thread).
final class TestBackendRecorder: Sendable {
    private struct Records {
        var requests: [HTTPRequestHead] = []
        var accepted = 0
        var open = 0
    }

    private let records = NIOLockedValueBox(Records())

    var requests: [HTTPRequestHead] { records.withLockedValue { $0.requests } }
    var accepted: Int { records.withLockedValue { $0.accepted } }
    var open: Int { records.withLockedValue { $0.open } }

    func recordRequest(_ head: HTTPRequestHead) { records.withLockedValue { $0.requests.append(head) } }
    func connectionAccepted() { records.withLockedValue { $0.accepted += 1; $0.open += 1 } }
    func connectionClosed() { records.withLockedValue { $0.open -= 1 } }
    func reset() { records.withLockedValue { $0.requests = []; $0.accepted = 0 } }
}
