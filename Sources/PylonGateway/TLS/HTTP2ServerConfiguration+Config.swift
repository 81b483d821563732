import NIOCore
import PylonProxy

extension HTTP2ServerConfiguration {
    /// What the proxy serves for a TLS listener's `http2` section.
    init(_ config: HTTP2Config) {
        self.init()
        self.enabled = config.enabled
        self.maxConcurrentStreams = config.maxConcurrentStreams
        self.initialStreamWindow = config.initialStreamWindow
        self.connectionWindow = config.connectionWindow
        self.maxHeaderListSize = config.maxHeaderListSize
        self.maxFrameSize = config.maxFrameSize
        self.streamResetLimit = RateLimit(config.maxResets)
        self.streamErrorLimit = RateLimit(config.maxStreamErrors)
        self.controlFrameLimit = RateLimit(config.maxControlFrames)
        self.maxGlitches = config.maxGlitches
        self.keepAlive = config.pingInterval.map {
            KeepAlive(interval: TimeAmount($0), timeout: TimeAmount(config.pingTimeout))
        }
        self.maxConnectionAge = config.maxConnectionAge.map { TimeAmount($0) }
        self.maxConnectionAgeGrace = config.maxConnectionAgeGrace.map { TimeAmount($0) }
    }
}

extension HTTP2ServerConfiguration.RateLimit {
    init(_ rate: HTTP2Config.EventRate) {
        self.init(count: rate.count, window: TimeAmount(rate.window))
    }
}
