import Dispatch
import Logging
import NIOCore
import NIOPosix
import PylonGateway

#if canImport(Glibc)
import Glibc
#endif

/// One serving process: builds the gateway for a config, serves until a signal says
/// stop, then drains (SIGQUIT) or stops fast (SIGTERM, SIGINT).
struct GatewayProcess {
    let config: GatewayConfig
    let workers: WorkerCount
    /// Printed once serving, e.g. the demo's curl lines.
    var banner: ((_ addresses: [String: SocketAddress]) -> String)? = nil

    func run() async throws {
        LoggingBootstrap.once()
        let logger = Logger(label: "pylon")
        let threads: Int
        switch self.workers {
        case .auto: threads = System.coreCount
        case .fixed(let n): threads = n
        }
        let signals = SignalStream(signals: [SIGTERM, SIGINT, SIGQUIT])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let server: GatewayServer
        let addresses: [String: SocketAddress]
        do {
            server = try GatewayServer(
                config: self.config, sharedMemory: try SharedMemorySegment.anonymous(), group: group, logger: logger
            )
            addresses = try await server.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            try? await group.shutdownGracefully()
            throw error
        }
        logger.info("serving", metadata: ["threads": "\(threads)"])
        if let banner { Console.standardOutput(banner(addresses)) }

        for await signal in signals.stream {
            if signal == SIGQUIT {
                logger.info("SIGQUIT: draining")
                let deadline = TimeAmount(self.config.drainTimeout)
                await server.drain(deadline: deadline)
            } else {
                logger.info("stopping", metadata: ["signal": "\(signal)"])
                await server.stop()
            }
            break
        }
        try await group.shutdownGracefully()
        logger.info("stopped")
    }
}

/// Delivers signals as an async sequence, through Dispatch signal sources rather than
/// a C handler (which could do almost nothing safely).
final class SignalStream {
    let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.sources = signals.map { number in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }
}

enum LoggingBootstrap {
    /// The diagnostic log's writer: stderr, so that stdout carries only the access log.
    static let standardError = BackgroundOutputWriter(fileDescriptor: 2)

    /// Log lines go to stderr (see `DiagnosticLogOutput`), at PYLON_LOG_LEVEL or info.
    static func once() {
        let level = getenv("PYLON_LOG_LEVEL").flatMap { Logger.Level(rawValue: String(cString: $0)) } ?? .info
        let output = DiagnosticLogOutput(writer: Self.standardError)
        atexit { LoggingBootstrap.standardError.flush() }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler(label: label, stream: output, metadataProvider: LoggingSystem.metadataProvider)
            handler.logLevel = level
            return handler
        }
    }
}
