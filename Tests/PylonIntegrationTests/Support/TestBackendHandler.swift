import Foundation
import NIOCore
import NIOHTTP1

/// Serves one connection of a `TestBackend`; sits after NIO's HTTP server pipeline, which
/// already serialises pipelined requests (the next head arrives only after our `.end`).
///
/// Backpressure: everything that streams (`/echo`, `/bytes`, `/chunked`) writes only while the
/// channel is writable and holds the channel's `read()` while it is not, so GiB-sized
/// transfers run in constant memory whatever speed the proxy reads at.
final class TestBackendHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// One request being served.
    private struct Exchange {
        var head: HTTPRequestHead
        var route: TestBackendRoute
        /// Whether the connection stays open after this response.
        var keepAlive: Bool
        var bodyBytes = 0
        var isHEAD: Bool { head.method == .HEAD }
    }

    private enum State {
        case idle
        /// Reading the request body. For `/echo` the response head is already sent.
        case receivingBody(Exchange)
        /// Body read; the response is produced later (slow routes).
        case responding(Exchange)
        /// `/bytes`, `/chunked`: `remaining` generated body bytes still to write.
        case streamingBytes(Exchange, remaining: Int)
        case closed
    }

    static let streamChunkSize = 64 * 1024

    private let configuration: TestBackend.Configuration
    private let recorder: TestBackendRecorder
    private var state = State.idle
    /// A `read()` we held back because the channel was not writable.
    private var readHeldBack = false
    /// 64 KiB + one pattern period of pattern bytes; every streamed piece is a slice of it.
    private var patternBuffer: ByteBuffer?

    init(configuration: TestBackend.Configuration, recorder: TestBackendRecorder) {
        self.configuration = configuration
        self.recorder = recorder
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): receivedHead(head, context: context)
        case .body(let buffer): receivedBody(buffer, context: context)
        case .end: receivedEnd(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()  // echoed body parts
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        context.fireChannelInactive()
    }

    /// Parse errors (already answered with 400 by NIO's protocol error handler) and I/O errors
    /// end the connection, as a real server would.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        state = .closed
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if readHeldBack {
                readHeldBack = false
                context.read()
            }
            pumpBytes(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readHeldBack = true
        }
    }

    // MARK: Request parts

    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        recorder.recordRequest(head)
        var exchange = Exchange(head: head, route: TestBackendRoute(uri: head.uri), keepAlive: head.isKeepAlive)
        let isHTTP11OrLater = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
        if configuration.answersExpectContinue, isHTTP11OrLater,
           head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        if exchange.route == .echo {
            // Streamed without Content-Length: HTTP/1.0 can only delimit that by closing.
            if !isHTTP11OrLater { exchange.keepAlive = false }
            var headers = baseHeaders(for: exchange)
            for (name, value) in head.headers { headers.add(name: "X-Echo-\(name)", value: value) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        }
        state = .receivingBody(exchange)
    }

    private func receivedBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard case .receivingBody(var exchange) = state else { return }
        exchange.bodyBytes += buffer.readableBytes
        state = .receivingBody(exchange)
        if exchange.route == .echo, !exchange.isHEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        guard case .receivingBody(var exchange) = state else { return }
        switch exchange.route {
        case .identify:
            respond(exchange, body: "\(configuration.name)\n", context: context)
        case .echo:
            finish(exchange, context: context)
        case .headers:
            let report = BackendRequestReport(
                method: exchange.head.method.rawValue,
                uri: exchange.head.uri,
                version: "HTTP/\(exchange.head.version.major).\(exchange.head.version.minor)",
                headers: exchange.head.headers.reduce(into: [:]) { $0[$1.name.lowercased(), default: []].append($1.value) }
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = (try? encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            respond(exchange, extraHeaders: [("Content-Type", "application/json")], body: json + "\n", context: context)
        case .bytes(let count), .chunked(let count):
            var headers = baseHeaders(for: exchange)
            if case .bytes = exchange.route {
                headers.add(name: "Content-Length", value: String(count))
            } else if exchange.head.version.minor == 0 {
                exchange.keepAlive = false
                headers.replaceOrAdd(name: "Connection", value: "close")
            }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: .ok, headers: headers))), promise: nil)
            state = .streamingBytes(exchange, remaining: exchange.isHEAD ? 0 : count)
            pumpBytes(context: context)
        case .slow(let milliseconds):
            state = .responding(exchange)
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                guard case .responding = self.state else { return }
                self.respond(exchange, body: "slow\n", context: context)
            }
        case .slowBody(let milliseconds):
            sendSlowBody(exchange, milliseconds: milliseconds, context: context)
        case .status(let code):
            let status = HTTPResponseStatus(statusCode: code)
            if code == 204 || code == 304 {
                respond(exchange, status: status, body: nil, context: context)
            } else {
                respond(exchange, status: status, body: "status \(code)\n", context: context)
            }
        case .truncate:
            var headers = baseHeaders(for: exchange)
            headers.add(name: "Content-Length", value: "1000")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: .ok, headers: headers))), promise: nil)
            var body = context.channel.allocator.buffer(capacity: 100)
            body.writeBytes(BackendBodyPattern.bytes(count: 100))
            state = .closed
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(body)))).whenComplete { _ in channel.close(promise: nil) }
        case .close:
            exchange.keepAlive = false
            respond(exchange, body: "\(configuration.name)\n", context: context)
        case .sink:
            respond(exchange, body: String(exchange.bodyBytes), context: context)
        case .expectContinue:
            respond(exchange, body: "continued \(exchange.bodyBytes)\n", context: context)
        case .badRequest(let reason):
            respond(exchange, status: .badRequest, body: reason + "\n", context: context)
        }
    }

    // MARK: Responses

    /// Headers every response carries: `X-Backend`, the configured extras, and the
    /// `Connection` header matching what we will do with the connection.
    private func baseHeaders(for exchange: Exchange) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "X-Backend", value: configuration.name)
        for (name, value) in configuration.extraHeaders { headers.add(name: name, value: value) }
        if !exchange.keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if exchange.head.version.minor == 0 && exchange.head.version.major == 1 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return headers
    }

    /// A complete response with a Content-Length body (none for HEAD, 204, 304).
    private func respond(
        _ exchange: Exchange,
        status: HTTPResponseStatus = .ok,
        extraHeaders: [(String, String)] = [],
        body: String?,
        context: ChannelHandlerContext
    ) {
        var headers = baseHeaders(for: exchange)
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if let body { headers.add(name: "Content-Length", value: String(body.utf8.count)) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: status, headers: headers))), promise: nil)
        if let body, !exchange.isHEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        finish(exchange, context: context)
    }

    /// Writes `.end`, then closes the connection unless it is kept alive.
    private func finish(_ exchange: Exchange, context: ChannelHandlerContext) {
        state = exchange.keepAlive ? .idle : .closed
        let channel = context.channel
        let keepAlive = exchange.keepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    /// Writes pattern bytes while the channel is writable; resumes from
    /// `channelWritabilityChanged`.
    private func pumpBytes(context: ChannelHandlerContext) {
        guard case .streamingBytes(let exchange, var remaining) = state else { return }
        if patternBuffer == nil {
            var buffer = context.channel.allocator.buffer(capacity: Self.streamChunkSize + BackendBodyPattern.period)
            buffer.writeBytes(BackendBodyPattern.bytes(count: Self.streamChunkSize + BackendBodyPattern.period))
            patternBuffer = buffer
        }
        let pattern = patternBuffer!
        var sent = 0
        if case .bytes(let total) = exchange.route { sent = total - remaining }
        if case .chunked(let total) = exchange.route { sent = total - remaining }
        while remaining > 0 && context.channel.isWritable {
            let length = min(remaining, Self.streamChunkSize)
            let slice = pattern.getSlice(at: pattern.readerIndex + sent % BackendBodyPattern.period, length: length)!
            context.write(wrapOutboundOut(.body(.byteBuffer(slice))), promise: nil)
            remaining -= length
            sent += length
        }
        if remaining == 0 {
            finish(exchange, context: context)
        } else {
            state = .streamingBytes(exchange, remaining: remaining)
            context.flush()
        }
    }

    /// `/slow-body/MS`: head now, ten body pieces at MS/10 intervals, `.end` with the last.
    private func sendSlowBody(_ exchange: Exchange, milliseconds: Int, context: ChannelHandlerContext) {
        let pieces = (0..<10).map { "slow-body \($0)\n" }
        var headers = baseHeaders(for: exchange)
        headers.add(name: "Content-Length", value: String(pieces.reduce(0) { $0 + $1.utf8.count }))
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: .ok, headers: headers))), promise: nil)
        state = .responding(exchange)
        guard !exchange.isHEAD else {
            finish(exchange, context: context)
            return
        }
        let loop = context.eventLoop.assumeIsolated()
        for (index, piece) in pieces.enumerated() {
            loop.scheduleTask(in: .milliseconds(Int64(milliseconds * (index + 1) / pieces.count))) {
                guard case .responding = self.state else { return }
                context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: piece)))), promise: nil)
                if index == pieces.count - 1 { self.finish(exchange, context: context) }
            }
        }
    }
}
