import NIOCore
import NIOHTTP2

/// The HTTP/2 settings Pylon uses as a client of its upstreams, in one place, like
/// `HTTP2ServerLimits` for its own clients.
enum HTTP2UpstreamLimits {
    /// Per-stream receive window: how much response body an upstream may send ahead of what
    /// the client took. A stream is only read while its client is writable, and window
    /// updates follow reads, so this bounds what one slow client makes Pylon hold.
    static var streamWindow: Int { 256 * 1024 }
    /// Connection receive window: room for several streams' bodies at once. nio-http2
    /// replenishes it as frames arrive, whichever stream they belong to; only the stream
    /// windows wait for the clients.
    static var connectionWindow: Int { 1024 * 1024 }
    /// Largest response header (or trailer) list accepted from an upstream, after HPACK.
    static var maxHeaderListSize: Int { 64 * 1024 }
    /// What a stream is assumed to allow before the upstream's SETTINGS arrive; streams are
    /// only opened after they did, so this only matters for a SETTINGS without the field.
    static var defaultMaxConcurrentStreams: Int { 100 }

    static func connection() -> NIOHTTP2Handler.ConnectionConfiguration {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            // Server push is never used.
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .initialWindowSize, value: Self.streamWindow),
            HTTP2Setting(parameter: .maxFrameSize, value: 1 << 14),
            HTTP2Setting(parameter: .maxHeaderListSize, value: Self.maxHeaderListSize),
        ]
        connection.targetWindowSize = Self.connectionWindow
        // Malformed responses (bad pseudo-headers, connection-specific fields, a body that
        // disagrees with content-length) fail their stream, as a bad HTTP/1.1 response fails
        // its connection.
        connection.headerBlockValidation = .enabled
        connection.contentLengthValidation = .enabled
        connection.maximumSequentialContinuationFrames = 5
        connection.maximumBufferedControlFrames = 10_000
        connection.maximumRecentlyResetStreams = 32
        return connection
    }

    static func stream() -> NIOHTTP2Handler.StreamConfiguration {
        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.targetWindowSize = Self.streamWindow
        // A stream turns unwritable past this much unsent request body (beyond the upstream's
        // window); its client is then no longer read until the upstream takes more.
        stream.outboundBufferSizeHighWatermark = 64 * 1024
        stream.outboundBufferSizeLowWatermark = 16 * 1024
        return stream
    }
}
