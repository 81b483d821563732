import ArgumentParser
import Dispatch
import Logging
import NIOCore
import NIOPosix
import PylonGateway
import PylonSupervisor

#if canImport(Glibc)
import Glibc
#endif

/// `pylon worker` (hidden): one serving process under a master. Everything it needs comes
/// over the control socket on fd 3 — the config text, the generation, the listener
/// descriptors; it answers `ready`, and drains on `drain`, on SIGQUIT, or when the master
/// goes away (EOF on fd 3, or PDEATHSIG followed by a `getppid()` recheck).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Internal: a worker process started by `pylon run`'s master.",
        shouldDisplay: false
    )

    @Option(help: "The inherited control socket.")
    var controlFD: Int32 = 3

    private enum Event: Sendable {
        case command(WorkerLink.Command)
        case signal(Int32)
        case drained
    }

    func run() async throws {
        LoggingBootstrap.once()
        var logger = Logger(label: "pylon.worker")
        logger[metadataKey: "pid"] = "\(getpid())"
        // Signals first: the death signal must find a disposition that does not kill us.
        let signals = SignalStream(signals: [SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2])
        let link: WorkerLink
        let hello: ControlMessage.Hello
        let descriptors: [String: CInt]
        do {
            link = try WorkerLink(fd: self.controlFD, deathSignal: SIGUSR2)
            (hello, descriptors) = try link.receiveHello()
        } catch {
            logger.critical("no work from the master", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger[metadataKey: "generation"] = "\(hello.generation)"

        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, hello.threads))
        let server: GatewayServer
        do {
            var inherited = descriptors
            let sharedMemory = try Self.mapSharedMemory(inherited.removeValue(forKey: ControlMessage.Hello.sharedMemoryName))
            let config = try ConfigLoader.parse(yaml: hello.configText, file: hello.configPath)
            server = try GatewayServer(
                config: config, sharedMemory: sharedMemory, generation: hello.generation, group: group, logger: logger
            )
            let metricsFD = inherited.removeValue(forKey: SupervisorSettings.metricsListenerName)
            for listener in config.listeners where inherited[listener.name] == nil {
                throw WorkerStartError("the master passed no socket for listener \(listener.name)")
            }
            if config.metrics != nil, metricsFD == nil {
                throw WorkerStartError("the master passed no socket for the metrics listener")
            }
            try await server.start(inherited: inherited, inheritedMetrics: metricsFD)
            server.metrics.setGeneration(hello.generation)
        } catch {
            let message = (error as? ConfigError)?.description ?? "\(error)"
            logger.critical("cannot serve", metadata: ["error": "\(message)"])
            link.send(.error(message: message))
            try? await group.shutdownGracefully()
            throw ExitCode(1)
        }
        link.send(.ready(pid: getpid(), generation: hello.generation))
        logger.info("worker serving", metadata: ["index": "\(hello.workerIndex)"])

        let (events, continuation) = AsyncStream<Event>.makeStream()
        let commands = link.commands()
        let commandTask = Task {
            for await command in commands { continuation.yield(.command(command)) }
        }
        let signalTask = Task {
            for await number in signals.stream { continuation.yield(.signal(number)) }
        }
        var draining = false
        func startDrain(milliseconds: Int, reason: String) {
            guard !draining else { return }
            draining = true
            logger.info("draining", metadata: ["reason": "\(reason)", "deadline_ms": "\(milliseconds)"])
            let deadline = TimeAmount.milliseconds(Int64(milliseconds))
            Task {
                link.send(.draining)
                await server.drain(deadline: deadline)
                link.send(.drained)
                continuation.yield(.drained)
            }
        }
        loop: for await event in events {
            switch event {
            case .command(.drain(let milliseconds)):
                startDrain(milliseconds: milliseconds, reason: "master")
            case .command(.masterGone):
                startDrain(milliseconds: hello.drainTimeoutMilliseconds, reason: "master gone")
            case .signal(SIGQUIT):
                startDrain(milliseconds: hello.drainTimeoutMilliseconds, reason: "SIGQUIT")
            case .signal(SIGUSR2):
                if link.parentMayHaveDied() {
                    startDrain(milliseconds: hello.drainTimeoutMilliseconds, reason: "master died")
                }
            case .signal(SIGUSR1):
                logger.info("SIGUSR1: nothing to reopen (logs go to stdout/stderr)")
            case .command(.stop), .signal:
                logger.info("stopping")
                await server.stop()
                break loop
            case .drained:
                break loop
            }
        }
        commandTask.cancel()
        signalTask.cancel()
        try? await group.shutdownGracefully()
        logger.info("worker exiting")
    }
}

extension WorkerCommand {
    /// The service's shared segment from the master's descriptor (closed here: the mapping
    /// outlives it). Without one a worker's counters and limits would be its own, silently
    /// wrong for the service, so it refuses to serve instead.
    static func mapSharedMemory(_ descriptor: CInt?) throws -> SharedMemorySegment {
        guard let descriptor else { throw WorkerStartError("the master passed no shared memory segment") }
        defer { close(descriptor) }
        return try SharedMemorySegment(mapping: descriptor)
    }
}

struct WorkerStartError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
