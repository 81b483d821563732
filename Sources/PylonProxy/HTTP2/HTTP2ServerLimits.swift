import NIOCore
import NIOHTTP2

/// The HTTP/2 settings and abuse protections of a client connection, derived from the
/// server's configuration. Every limit is set here explicitly, even where it equals
/// nio-http2's default, so what a client may do on one connection is visible in one place.
enum HTTP2ServerLimits {
    /// Concurrent streams a client may open (`SETTINGS_MAX_CONCURRENT_STREAMS`); more are
    /// refused with `REFUSED_STREAM`. Each stream may hold an upstream connection.
    static var maxConcurrentStreams: Int { 100 }
    /// Per-stream receive window: how much request body a client may send ahead of what
    /// the upstream accepted. Window updates follow reads, and a stream is only read while
    /// its upstream is writable.
    static var streamWindow: Int { 256 * 1024 }
    /// Connection receive window: room for several streams' bodies at once.
    static var connectionWindow: Int { 1024 * 1024 }

    static func connection(_ configuration: ProxyServerConfiguration) -> NIOHTTP2Handler.ConnectionConfiguration {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        // The header list limit is the HTTP/1 header-size limit plus room for the request
        // line's equivalent (the pseudo-header fields): the same request is accepted or
        // refused over either protocol. HPACK-decoded lists beyond it end the connection,
        // so a small compressed block cannot expand into unbounded memory.
        let maxHeaderList = configuration.parserLimits.maxHeaderBytes + configuration.parserLimits.maxRequestLine
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: Self.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: maxHeaderList),
            HTTP2Setting(parameter: .initialWindowSize, value: Self.streamWindow),
            HTTP2Setting(parameter: .maxFrameSize, value: 1 << 14),
            // Server push is never used.
            HTTP2Setting(parameter: .enablePush, value: 0),
        ]
        connection.targetWindowSize = Self.connectionWindow
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
        // Suspicious events (the "glitches" of the 2024 HTTP workshop) before the connection closes.
        connection.maximumConnectionGlitches = 200
        // PING/SETTINGS/PRIORITY floods.
        connection.controlFrameRateLimit.maximumCount = 200
        connection.controlFrameRateLimit.windowLength = .seconds(30)
        return connection
    }

    static func stream() -> NIOHTTP2Handler.StreamConfiguration {
        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.targetWindowSize = Self.streamWindow
        // A stream turns unwritable past this much unsent response data; its upstream is then
        // no longer read until the client's window lets the data go.
        stream.outboundBufferSizeHighWatermark = 64 * 1024
        stream.outboundBufferSizeLowWatermark = 16 * 1024
        // Rapid reset (CVE-2023-44487): more than this many RST_STREAMs from the client in
        // the window close the connection with ENHANCE_YOUR_CALM.
        stream.streamResetFrameRateLimit.maximumCount = 200
        stream.streamResetFrameRateLimit.windowLength = .seconds(30)
        // Streams the client makes fail (protocol errors) in the window before the connection closes.
        stream.streamErrorRateLimit.maximumCount = 200
        stream.streamErrorRateLimit.windowLength = .seconds(30)
        return stream
    }
}
