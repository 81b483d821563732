import NIOCore
import NIOHTTP2

/// The HTTP/2 settings and abuse protections of a client connection, from the listener's
/// `HTTP2ServerConfiguration` and the server's HTTP/1 limits. Every limit is set here
/// explicitly, even where it equals nio-http2's default, so what a client may do on one
/// connection is visible in one place.
enum HTTP2ServerLimits {
    static func connection(
        _ http2: HTTP2ServerConfiguration, parserLimits: HTTP1RequestParser.Limits
    ) -> NIOHTTP2Handler.ConnectionConfiguration {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: http2.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: Self.maxHeaderListSize(http2, parserLimits: parserLimits)),
            HTTP2Setting(parameter: .initialWindowSize, value: http2.initialStreamWindow),
            HTTP2Setting(parameter: .maxFrameSize, value: http2.maxFrameSize),
            // Server push is never used.
            HTTP2Setting(parameter: .enablePush, value: 0),
        ]
        connection.targetWindowSize = http2.connectionWindow
        // Malformed requests (bad pseudo-headers, connection-specific fields, a body that
        // disagrees with content-length) are refused by nio-http2 with a stream error.
        connection.headerBlockValidation = .enabled
        connection.contentLengthValidation = .enabled
        // CONTINUATION flood (CVE-2024-27316 class): a header block may span at most this
        // many CONTINUATION frames.
        connection.maximumSequentialContinuationFrames = 5
        // Empty DATA frames cost work and move nothing.
        connection.maximumSequentialEmptyDataFrames = 1
        // Control frames (PING/SETTINGS acks, RSTs) the peer makes us queue without reading
        // them: past this the connection is closed rather than buffering without bound.
        connection.maximumBufferedControlFrames = 10_000
        // Streams remembered after a reset, so late frames for them are not connection errors.
        connection.maximumRecentlyResetStreams = 32
        connection.maximumConnectionGlitches = http2.maxGlitches
        // PING/SETTINGS/PRIORITY floods.
        connection.controlFrameRateLimit.maximumCount = http2.controlFrameLimit.count
        connection.controlFrameRateLimit.windowLength = http2.controlFrameLimit.window
        return connection
    }

    static func stream(_ http2: HTTP2ServerConfiguration) -> NIOHTTP2Handler.StreamConfiguration {
        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.targetWindowSize = http2.initialStreamWindow
        // A stream turns unwritable past this much unsent response data; its upstream is then
        // no longer read until the client's window lets the data go.
        stream.outboundBufferSizeHighWatermark = 64 * 1024
        stream.outboundBufferSizeLowWatermark = 16 * 1024
        // Rapid reset (CVE-2023-44487): more than this many RST_STREAMs from the client in
        // the window close the connection with ENHANCE_YOUR_CALM.
        stream.streamResetFrameRateLimit.maximumCount = http2.streamResetLimit.count
        stream.streamResetFrameRateLimit.windowLength = http2.streamResetLimit.window
        // Streams the client makes fail (protocol errors) in the window before the connection closes.
        stream.streamErrorRateLimit.maximumCount = http2.streamErrorLimit.count
        stream.streamErrorRateLimit.windowLength = http2.streamErrorLimit.window
        return stream
    }

    /// The configured header list limit, or by default the HTTP/1 header-size limit plus room
    /// for the request line's equivalent (the pseudo-header fields): the same request is
    /// accepted or refused over either protocol. HPACK-decoded lists beyond it end the
    /// connection, so a small compressed block cannot expand into unbounded memory.
    static func maxHeaderListSize(_ http2: HTTP2ServerConfiguration, parserLimits: HTTP1RequestParser.Limits) -> Int {
        http2.maxHeaderListSize ?? parserLimits.maxHeaderBytes + parserLimits.maxRequestLine
    }

    /// The connection window every connection starts with (RFC 9113 §6.9.2), before the
    /// server's WINDOW_UPDATE raises it to `connectionWindow`.
    static var initialConnectionWindow: Int { 65_535 }
}
