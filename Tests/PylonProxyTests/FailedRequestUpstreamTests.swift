import Foundation
import Glibc
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import PylonProxy

/// A request that fails after its upstream connection was attached lets that connection
/// go: it is closed at once rather than left waiting for a response nobody will read.
final class FailedRequestUpstreamTests: XCTestCase {
    /// What the upstream saw, per connection, in order of arrival.
    final class UpstreamLog: Sendable {
        private let state = NIOLockedValueBox<(received: [String], closed: [Bool])>(([], []))

        func opened() -> Int {
            self.state.withLockedValue {
                $0.received.append("")
                $0.closed.append(false)
                return $0.received.count - 1
            }
        }
        func received(_ text: String, on connection: Int) -> String {
            self.state.withLockedValue {
                $0.received[connection] += text
                return $0.received[connection]
            }
        }
        func closed(_ connection: Int) { self.state.withLockedValue { $0.closed[connection] = true } }
        var snapshot: (received: [String], closed: [Bool]) { self.state.withLockedValue { $0 } }
    }

    /// Answers `GET /next` with `next`; never answers anything else.
    final class SelectiveUpstream: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let log: UpstreamLog
        private let index = NIOLockedValueBox(0)

        init(log: UpstreamLog) { self.log = log }

        func channelActive(context: ChannelHandlerContext) {
            self.index.withLockedValue { $0 = self.log.opened() }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: self.unwrapInboundIn(data))
            let all = self.log.received(text, on: self.index.withLockedValue { $0 })
            if all.hasPrefix("GET /next "), all.hasSuffix("\r\n\r\n") {
                let response = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.log.closed(self.index.withLockedValue { $0 })
        }
    }

    /// Proxies everything to one upstream; the request body filter refuses a body's
    /// second piece.
    struct RefusesSecondBodyPiece: ProxyHTTP {
        struct Refused: Error {}
        let upstream: SocketAddress

        func makeContext() -> Int { 0 }

        func requestBodyFilter(_ session: ProxySession, _ body: inout ByteBuffer?, endOfStream: Bool, _ ctx: inout Int) throws {
            guard body != nil else { return }
            ctx += 1
            if ctx == 2 { throw Refused() }
        }

        func upstreamPeer(_ session: ProxySession, _ ctx: inout Int) throws -> HTTPPeer {
            // A read timeout far beyond the test: only being let go closes the connection.
            HTTPPeer(address: self.upstream, readTimeout: .seconds(300))
        }
    }

    func testABodyFilterFailureClosesTheAttachedUpstreamAndTheNextRequestIsAnswered() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = UpstreamLog()
        let upstream = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SelectiveUpstream(log: log)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = ProxyServer(
            proxy: RefusesSecondBodyPiece(upstream: upstream.localAddress!), configuration: ProxyServerConfiguration(),
            group: group, logger: logger
        )
        let addresses = try await server.start(listeners: [
            ProxyListener(name: "test", socket: .bind(try SocketAddress(ipAddress: "127.0.0.1", port: 0)))
        ])
        let client = try BlockingClient(port: addresses[0].port!)
        do {
            try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345")
            try await Self.waitUntil("the first body piece reached the upstream") { log.snapshot.received.first?.hasSuffix("12345") == true }
            try client.send("67890")
            let refused = try client.readResponse()
            XCTAssertTrue(refused.hasPrefix("HTTP/1.1 500 "), refused)
            try await Self.waitUntil("the abandoned upstream connection closed") { log.snapshot.closed.first == true }

            try client.send("GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
            let next = try client.readResponse()
            XCTAssertTrue(next.hasPrefix("HTTP/1.1 200 "), next)
            XCTAssertTrue(next.hasSuffix("\r\n\r\nnext"), next)
            XCTAssertEqual(log.snapshot.received.count, 2, "the next request went on a connection of its own")
        } catch {
            client.close()
            await server.stop()
            try await upstream.close()
            try await group.shutdownGracefully()
            throw error
        }
        client.close()
        await server.stop()
        try await upstream.close()
        try await group.shutdownGracefully()
    }

    struct NeverHappened: Error, CustomStringConvertible {
        let description: String
    }

    private static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw NeverHappened(description: "within 5 s: \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// A plain blocking loopback socket: the client side of these tests, with a read timeout.
final class BlockingClient {
    private let fd: CInt

    init(port: Int) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(self.fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// One response with a Content-Length body, as text.
    func readResponse() throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count >= text.utf8.distance(from: text.startIndex, to: end.upperBound) + length { return text }
            }
            let count = recv(self.fd, &chunk, chunk.count, 0)
            guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
            bytes += chunk[..<count]
        }
    }

    func close() { Glibc.close(self.fd) }
}
