import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// The HTTP/2-only routes of an `HTTP2TestBackend`, in front of the `TestBackendHandler`
/// that serves every other path (their parts pass through untouched):
/// - `/test.Echo/Unary`: a gRPC-shaped unary call. The request must be
///   `content-type: application/grpc` with `te: trailers` (else 400); its one
///   length-prefixed message comes back as `echo: <message>`, then trailers
///   `grpc-status: 0`, `grpc-message: OK`.
/// - `/test.Echo/Stream`: server streaming under the same rules: five messages
///   `message 0` … `message 4`, 20 ms apart, then the same trailers.
/// - `/test.Echo/Unimplemented`: a gRPC Trailers-Only response: one HEADERS frame with
///   END_STREAM carrying `:status: 200`, `grpc-status: 12` and `grpc-message`.
/// - `/trailers`: 200 `received N bytes`, then trailers `x-backend-trailer: done`,
///   `x-received-bytes: N` and each request trailer back as `x-echo-<name>`.
/// - `/die`: closes the whole connection (every stream on it) on the request head.
/// - `/die-mid-body`: a head announcing 1 MB, 64 KiB of it, then the whole connection closes.
final class HTTP2TestStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Route {
        case grpcUnary, grpcStream, grpcUnimplemented, trailers, die, dieMidBody

        init?(uri: String) {
            switch uri.split(separator: "?").first ?? "" {
            case "/test.Echo/Unary": self = .grpcUnary
            case "/test.Echo/Stream": self = .grpcStream
            case "/test.Echo/Unimplemented": self = .grpcUnimplemented
            case "/trailers": self = .trailers
            case "/die": self = .die
            case "/die-mid-body": self = .dieMidBody
            default: return nil
            }
        }
    }

    private let recorder: TestBackendRecorder
    private let stats: HTTP2TestBackendStats
    private var route: Route?
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyBytes = 0

    init(recorder: TestBackendRecorder, stats: HTTP2TestBackendStats) {
        self.recorder = recorder
        self.stats = stats
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part {
            route = Route(uri: head.uri)
            if route != nil {
                recorder.recordRequest(head)
                self.head = head
            }
        }
        guard let route, let head else {
            context.fireChannelRead(data)
            return
        }
        switch part {
        case .head:
            if route == .die { context.channel.parent?.close(promise: nil) }
            if route == .dieMidBody { dieMidBody(context: context) }
        case .body(var buffer):
            bodyBytes += buffer.readableBytes
            if route == .grpcUnary || route == .grpcStream { body.writeBuffer(&buffer) }
        case .end(let trailers):
            if let trailers { stats.receivedTrailers(trailers) }
            switch route {
            case .grpcUnary, .grpcStream: answerGRPC(head, streaming: route == .grpcStream, context: context)
            case .grpcUnimplemented: answerTrailersOnly(context: context)
            case .trailers: answerWithTrailers(requestTrailers: trailers, context: context)
            case .die, .dieMidBody: break
            }
        }
    }

    // MARK: Routes

    private func answerWithTrailers(requestTrailers: HTTPHeaders?, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http2, status: .ok, headers: headers))), promise: nil)
        let text = "received \(bodyBytes) bytes\n"
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        var trailers = HTTPHeaders()
        trailers.add(name: "x-backend-trailer", value: "done")
        trailers.add(name: "x-received-bytes", value: String(bodyBytes))
        for (name, value) in requestTrailers ?? [:] { trailers.add(name: "x-echo-\(name.lowercased())", value: value) }
        context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
    }

    private func answerGRPC(_ head: HTTPRequestHead, streaming: Bool, context: ChannelHandlerContext) {
        let isGRPC = head.headers["content-type"].first?.hasPrefix("application/grpc") == true
        let acceptsTrailers = head.headers["te"].contains { $0.lowercased() == "trailers" }
        guard isGRPC, acceptsTrailers, let message = Self.readMessage(&body) else {
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: "0")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http2, status: .badRequest, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/grpc")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http2, status: .ok, headers: headers))), promise: nil)
        var trailers = HTTPHeaders()
        trailers.add(name: "grpc-status", value: "0")
        trailers.add(name: "grpc-message", value: "OK")
        guard streaming else {
            let reply = Self.message("echo: \(message)", allocator: context.channel.allocator)
            context.write(wrapOutboundOut(.body(.byteBuffer(reply))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            return
        }
        let loop = context.eventLoop.assumeIsolated()
        let count = 5
        for index in 0..<count {
            loop.scheduleTask(in: .milliseconds(Int64(20 * (index + 1)))) {
                let piece = Self.message("message \(index)", allocator: context.channel.allocator)
                context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
                if index == count - 1 { context.writeAndFlush(self.wrapOutboundOut(.end(trailers)), promise: nil) }
            }
        }
    }

    /// Written below the codec, which would make two frames of a head and an end.
    private func answerTrailersOnly(context: ChannelHandlerContext) {
        let headers = HPACKHeaders([
            (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "12"), ("grpc-message", "no such method"),
        ])
        let codec = try? context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTP1ServerCodec.self)
        codec?.writeAndFlush(NIOAny(HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: true))), promise: nil)
    }

    private func dieMidBody(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: "1000000")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http2, status: .ok, headers: headers))), promise: nil)
        let piece = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
        // Long enough for the part that was sent to reach the client through the proxy.
        let parent = context.channel.parent
        context.eventLoop.scheduleTask(in: .milliseconds(200)) { parent?.close(promise: nil) }
    }

    // MARK: gRPC framing

    /// One length-prefixed gRPC message: flag 0 (not compressed), 4-byte length, bytes.
    static func message(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 5 + text.utf8.count)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(text.utf8.count))
        buffer.writeString(text)
        return buffer
    }

    /// The text of the first length-prefixed message in `buffer`, if a whole one is there.
    static func readMessage(_ buffer: inout ByteBuffer) -> String? {
        guard let flag = buffer.readInteger(as: UInt8.self), flag == 0, let length = buffer.readInteger(as: UInt32.self) else { return nil }
        return buffer.readString(length: Int(length))
    }
}
