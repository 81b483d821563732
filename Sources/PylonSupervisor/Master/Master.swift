import CPylon
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The master process (DESIGN §3): owns the listening sockets and the control socket,
/// runs generations of worker processes, respawns crashed workers, upgrades by
/// re-exec'ing itself, and reports to systemd. It never accepts a client connection and
/// knows nothing about HTTP (after HAProxy's mworker: process bookkeeping and nothing else).
///
/// Threading: one thread runs `run()`, a `poll(2)` loop over
///   - the signal pipe (an async-signal-safe handler writes each signal's number to it),
///   - the control socket (`pylon reload`),
///   - every worker's control socket,
/// with the nearest timer (respawn, ready timeout, drain deadline, stop deadline,
/// watchdog) as the poll timeout. The only blocking steps are short and bounded: running
/// `pylon check` before an upgrade (≤ 20 s) and reading a control request line (≤ 1 s).
/// Nothing else shares this state, so there are no locks.
public final class Master {
    /// Signals the master handles (all through the signal pipe).
    static let handledSignals: [Int32] = [SIGCHLD, SIGHUP, SIGQUIT, SIGTERM, SIGINT, SIGUSR1]

    struct Upgrade {
        /// The generation being started; nil when it failed before one was created.
        var generation: Int?
        var deadline: UInt64
        /// The `pylon reload` connection waiting for the outcome.
        var replyFD: Int32?
        /// Generation 1 at start-up: failing it ends the master.
        var initial: Bool
    }

    struct Stop {
        var graceful: Bool
        var deadline: UInt64
        var killed = false
        var exitCode: Int32
    }

    let logger: Logger
    var options: SupervisorOptions
    /// The config as this process read it (for the generation it starts), or why it could not.
    let loadedSettings: Result<SupervisorSettings, SupervisorSettingsError>
    let notifier = SystemdNotifier()

    var table = GenerationTable()
    var listeners = ListenerSet()
    var sharedMemory = SharedMemorySet()
    var activated: [String: Int32] = [:]
    var controlFD: Int32 = -1
    var signalFD: Int32 = -1
    var upgrade: Upgrade?
    var stop: Stop?
    var lastReload = "none"
    var upgradeCount = 0
    var lastStatus = ""
    var watchdogInterval: UInt64?
    var nextWatchdog: UInt64 = 0
    var exitCode: Int32?

    /// True when this process is a master re-exec'd by an upgrade (it then resumes the
    /// previous master's state instead of starting from scratch).
    public static var isResumingAfterUpgrade: Bool { getenv(ReexecState.environmentKey) != nil }

    public init(options: SupervisorOptions, settings: Result<SupervisorSettings, SupervisorSettingsError>, logger: Logger) {
        self.options = options
        self.loadedSettings = settings
        self.logger = logger
    }

    /// Runs until the master stops; returns the exit status.
    public func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        self.signalFD = Self.handledSignals.withUnsafeBufferPointer {
            pylon_signal_pipe_install($0.baseAddress, CInt($0.count))
        }
        guard self.signalFD >= 0 else {
            self.logger.critical("cannot install signal handlers", metadata: ["error": "\(SystemError("sigaction"))"])
            return 1
        }
        if let microseconds = self.notifier.watchdogMicroseconds() {
            self.watchdogInterval = microseconds * 1000 / 2
            self.nextWatchdog = MonotonicClock.now()
        }
        do {
            if let state = try ReexecState.take() {
                self.resume(state)
            } else {
                try self.start()
            }
        } catch {
            self.logger.critical("cannot start", metadata: ["error": "\(error)"])
            self.notifier.notify(["STATUS=failed to start: \(error)"])
            for worker in self.table.workers { kill(worker.pid, SIGKILL) }
            return 1
        }
        while self.exitCode == nil {
            self.pollOnce()
        }
        self.finish()
        return self.exitCode ?? 0
    }

    // MARK: Start and resume

    private func start() throws {
        let settings = try self.loadedSettings.get()
        if let segment = settings.sharedMemory { try self.sharedMemory.open(segment, logger: self.logger) }
        self.activated = SocketActivation.takeListeners()
        let keys = try self.listeners.open(settings.listeners, activated: &self.activated, logger: self.logger)
        for (name, fd) in self.activated {
            self.logger.warning("systemd passed a socket no listener is named after; closing it", metadata: ["name": "\(name)"])
            close(fd)
        }
        self.activated = [:]
        self.controlFD = try ControlSocket.bind(path: self.options.controlSocketPath)
        let generation = self.table.addGeneration(settings: settings, listenerKeys: keys)
        self.upgrade = Upgrade(generation: generation, deadline: self.readyDeadline(), replyFD: nil, initial: true)
        self.logger.info("master starting", metadata: ["pid": "\(getpid())", "workers": "\(settings.workers)"])
        for index in 0..<settings.workers {
            try self.spawnWorker(generation: generation, index: index, attempt: 0)
        }
        self.updateStatus()
    }

    /// Continues after `execve`: adopts the previous master's workers, listeners and
    /// control socket, then starts the next generation from the config as read now.
    private func resume(_ state: ReexecState) {
        self.options.binaryPath = state.binaryPath
        self.table = state.table
        self.listeners = state.listeners
        self.sharedMemory = state.sharedMemory ?? SharedMemorySet()
        self.controlFD = state.controlSocketFD
        self.lastReload = state.lastReload
        self.upgradeCount = state.upgradeCount
        for fd in state.descriptors { try? Descriptors.setCloseOnExec(fd, true) }
        self.logger.info(
            "master re-executed; adopted workers",
            metadata: ["pid": "\(getpid())", "workers": "\(self.table.workers.count)", "binary": "\(self.options.binaryPath)"]
        )
        // Children that exited while no handler was installed sent a SIGCHLD nobody saw.
        self.reapChildren()
        self.upgrade = Upgrade(generation: nil, deadline: self.readyDeadline(), replyFD: state.replyFD, initial: false)
        let settings: SupervisorSettings
        switch self.loadedSettings {
        case .failure(let error):
            self.failUpgrade("config: \(error)")
            return
        case .success(let loaded):
            settings = loaded
        }
        let keys: [String]
        do {
            if let segment = settings.sharedMemory { try self.sharedMemory.open(segment, logger: self.logger) }
            keys = try self.listeners.open(settings.listeners, activated: &self.activated, logger: self.logger)
        } catch {
            self.sharedMemory.close(keeping: self.table.sharedMemoryInUse, logger: self.logger)
            self.failUpgrade("\(error)")
            return
        }
        let generation = self.table.addGeneration(settings: settings, listenerKeys: keys)
        self.upgrade?.generation = generation
        self.logger.info("starting generation", metadata: ["generation": "\(generation)", "workers": "\(settings.workers)"])
        do {
            for index in 0..<settings.workers {
                try self.spawnWorker(generation: generation, index: index, attempt: 0)
            }
        } catch {
            self.failUpgrade("cannot start a worker: \(error)")
            return
        }
        self.updateStatus()
    }

    func readyDeadline() -> UInt64 {
        MonotonicClock.now() + UInt64(self.options.readyTimeoutMilliseconds) * 1_000_000
    }

    // MARK: Workers

    func spawnWorker(generation number: Int, index: Int, attempt: Int) throws {
        guard let generation = self.table.generation(number) else { return }
        let entries = generation.listenerKeys.compactMap { self.listeners.entry(key: $0) }
        var names = entries.map(\.name)
        var descriptors = entries.map(\.fd)
        if let segment = generation.settings.sharedMemory.flatMap({ self.sharedMemory.entry(for: $0) }) {
            names.append(ControlMessage.Hello.sharedMemoryName)
            descriptors.append(segment.fd)
        }
        let (mine, theirs) = try ControlChannel.makePair()
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawnWorker(binary: self.options.binaryPath, arguments: self.options.workerArguments, controlFD: theirs.fd)
        } catch {
            mine.close()
            theirs.close()
            throw error
        }
        theirs.close()
        let hello = ControlMessage.Hello(
            generation: number, workerIndex: index, listeners: names,
            configPath: generation.settings.configPath, configText: generation.settings.configText,
            drainTimeoutMilliseconds: generation.settings.drainTimeoutMilliseconds,
            threads: generation.settings.threadsPerWorker
        )
        do {
            try Descriptors.setNonBlocking(mine.fd)
            try mine.send(.hello(hello), fds: descriptors)
        } catch {
            kill(pid, SIGKILL)
            mine.close()
            // Still a child: record it so SIGCHLD reaps it.
            self.table.workers.append(.init(pid: pid, generation: number, index: index, controlFD: -1, state: .stopping, startedAt: MonotonicClock.now(), attempt: attempt))
            throw error
        }
        self.table.workers.append(.init(pid: pid, generation: number, index: index, controlFD: mine.fd, state: .starting, startedAt: MonotonicClock.now(), attempt: attempt))
        self.logger.info("spawned worker", metadata: ["generation": "\(number)", "index": "\(index)", "pid": "\(pid)"])
    }

    func reapChildren() {
        while true {
            var raw: Int32 = 0
            let pid = waitpid(-1, &raw, WNOHANG)
            if pid < 0 && errno == EINTR { continue }
            guard pid > 0 else { return }
            self.workerExited(pid: pid, status: ExitStatus(raw))
        }
    }

    private func workerExited(pid: pid_t, status: ExitStatus) {
        guard let worker = self.table.removeWorker(pid: pid) else { return }
        if worker.controlFD >= 0 { close(worker.controlFD) }
        let metadata: Logger.Metadata = ["generation": "\(worker.generation)", "index": "\(worker.index)", "pid": "\(pid)", "status": "\(status)"]
        guard let generation = self.table.generation(worker.generation) else { return }
        if self.stop != nil || generation.state == .draining || generation.state == .failed || worker.state == .draining || worker.state == .stopping {
            self.logger.info("worker exited", metadata: metadata)
        } else if generation.state == .starting {
            self.logger.error("worker exited before it was ready", metadata: metadata)
            if self.upgrade?.generation == worker.generation {
                self.failUpgrade("worker \(worker.index) of generation \(worker.generation) exited (\(status)) before it was ready")
            }
        } else {
            let uptime = (MonotonicClock.now() - worker.startedAt) / 1_000_000
            let crashes = RespawnBackoff.consecutiveCrashes(previous: worker.attempt, uptimeMilliseconds: uptime)
            let delay = RespawnBackoff.delayMilliseconds(consecutiveCrashes: crashes)
            var details = metadata
            details["respawn_in_ms"] = "\(delay)"
            details["consecutive_crashes"] = "\(crashes)"
            self.logger.warning("worker died unexpectedly; respawning", metadata: details)
            self.table.pendingRespawns.append(.init(generation: worker.generation, index: worker.index, attempt: crashes, at: MonotonicClock.now() + delay * 1_000_000))
        }
        self.collectFinishedGenerations()
        self.updateStatus()
    }

    func collectFinishedGenerations() {
        let finished = self.table.finishedGenerations()
        guard !finished.isEmpty else { return }
        for number in finished {
            self.table.removeGeneration(number)
            self.logger.info("generation finished", metadata: ["generation": "\(number)"])
        }
        self.listeners.close(keeping: self.table.listenerKeysInUse, logger: self.logger)
        self.sharedMemory.close(keeping: self.table.sharedMemoryInUse, logger: self.logger)
    }

    private func handleWorkerReadable(fd: Int32) {
        while let index = self.table.workerIndex(controlFD: fd) {
            let worker = self.table.workers[index]
            let received: ControlChannel.Received
            do {
                received = try ControlChannel(fd: fd).receive()
            } catch ControlChannelError.undecodable(let error) {
                self.logger.error("refused a control message from a worker", metadata: ["pid": "\(worker.pid)", "error": "\(error)"])
                continue
            } catch {
                received = .closed
            }
            switch received {
            case .wouldBlock:
                return
            case .closed:
                close(fd)
                self.table.workers[index].controlFD = -1
                return
            case .message(let message, let fds):
                for descriptor in fds { close(descriptor) }
                self.handle(message, from: index)
            }
        }
    }

    private func handle(_ message: ControlMessage, from index: Int) {
        let worker = self.table.workers[index]
        switch message {
        case .ready:
            if self.table.workers[index].state == .starting { self.table.workers[index].state = .ready }
            self.logger.info("worker ready", metadata: ["generation": "\(worker.generation)", "index": "\(worker.index)", "pid": "\(worker.pid)"])
            if let upgrade = self.upgrade, upgrade.generation == worker.generation, self.table.isReady(worker.generation) {
                self.commitUpgrade()
            }
            self.updateStatus()
        case .draining:
            self.table.workers[index].state = .draining
        case .drained:
            self.logger.debug("worker drained", metadata: ["pid": "\(worker.pid)"])
        case .error(let text):
            self.logger.error("worker failed", metadata: ["generation": "\(worker.generation)", "pid": "\(worker.pid)", "error": "\(text)"])
            if self.upgrade?.generation == worker.generation {
                self.failUpgrade("worker \(worker.index) of generation \(worker.generation): \(text)")
            }
        case .hello, .drain, .stop:
            self.logger.error("worker sent a master-only message", metadata: ["pid": "\(worker.pid)", "message": "\(message.kind)"])
        }
    }

    /// Tells every worker of `number` to drain and sets its kill deadline.
    func drainGeneration(_ number: Int, as state: GenerationTable.GenerationState) {
        guard let generation = self.table.generation(number) else { return }
        let milliseconds = generation.settings.drainTimeoutMilliseconds
        self.table.update(number) {
            $0.state = state
            // The worker closes what is left at its deadline; the master's SIGKILL is the
            // backstop a second later.
            $0.drainDeadline = MonotonicClock.now() + UInt64(milliseconds + 1000) * 1_000_000
        }
        self.table.pendingRespawns.removeAll { $0.generation == number }
        for index in self.table.workers.indices where self.table.workers[index].generation == number {
            self.sendDrain(to: index, milliseconds: milliseconds)
        }
        self.collectFinishedGenerations()
    }

    func sendDrain(to index: Int, milliseconds: Int) {
        let worker = self.table.workers[index]
        self.table.workers[index].state = .draining
        if worker.controlFD >= 0 {
            do {
                try ControlChannel(fd: worker.controlFD).send(.drain(deadlineMilliseconds: milliseconds))
                return
            } catch {
                self.logger.warning("cannot send drain; signalling", metadata: ["pid": "\(worker.pid)", "error": "\(error)"])
            }
        }
        kill(worker.pid, SIGQUIT)
    }

    // MARK: The loop

    private func pollOnce() {
        var descriptors = [pollfd(fd: self.signalFD, events: Int16(POLLIN), revents: 0)]
        if self.controlFD >= 0 { descriptors.append(pollfd(fd: self.controlFD, events: Int16(POLLIN), revents: 0)) }
        for worker in self.table.workers where worker.controlFD >= 0 {
            descriptors.append(pollfd(fd: worker.controlFD, events: Int16(POLLIN), revents: 0))
        }
        let now = MonotonicClock.now()
        let next = self.nextTimer()
        let timeout = next.map { $0 <= now ? 0 : Int32(min(($0 - now) / 1_000_000 + 1, 1000)) } ?? 1000
        let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
        if ready < 0 && errno != EINTR {
            self.logger.error("poll failed", metadata: ["error": "\(SystemError("poll"))"])
        }
        if ready > 0 {
            for descriptor in descriptors where descriptor.revents != 0 {
                if descriptor.fd == self.signalFD {
                    self.handleSignals()
                } else if descriptor.fd == self.controlFD {
                    self.acceptControlClients()
                } else {
                    self.handleWorkerReadable(fd: descriptor.fd)
                }
                if self.exitCode != nil { return }
            }
        }
        self.runTimers()
        if let stop = self.stop, self.table.workers.isEmpty {
            self.exitCode = stop.exitCode
        }
    }

    private func handleSignals() {
        var buffer = [UInt8](repeating: 0, count: 64)
        var signals: [Int32] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(self.signalFD, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            for byte in buffer[0..<count] where !signals.contains(Int32(byte)) { signals.append(Int32(byte)) }
        }
        // Reap first: a worker that died must be gone from the table before anything else.
        if signals.contains(SIGCHLD) { self.reapChildren() }
        for number in signals {
            switch number {
            case SIGHUP:
                self.logger.info("SIGHUP: upgrading")
                self.requestUpgrade(replyFD: nil)
            case SIGQUIT:
                self.logger.info("SIGQUIT: draining every worker, then exiting")
                self.beginStop(graceful: true, exitCode: 0)
            case SIGTERM, SIGINT:
                self.logger.info("stopping fast", metadata: ["signal": "\(number)"])
                self.beginStop(graceful: false, exitCode: 0)
            case SIGUSR1:
                // The master writes only to stderr (journald); workers reopen their own.
                self.logger.info("SIGUSR1: reopening log files")
                for worker in self.table.workers { kill(worker.pid, SIGUSR1) }
            default:
                break
            }
            if self.exitCode != nil { return }
        }
    }

    private func acceptControlClients() {
        while self.controlFD >= 0 {
            let client = pylon_accept_cloexec(self.controlFD)
            guard client >= 0 else { return }
            switch ControlSocket.readRequest(client) {
            case "reload":
                self.logger.info("reload requested over the control socket")
                self.requestUpgrade(replyFD: client)
            case "status":
                ControlSocket.reply(client, "ok \(self.statusLine())")
            case let other:
                ControlSocket.reply(client, "failed: unknown request \((other ?? "").debugDescription) (expected reload or status)")
            }
        }
    }

    private func nextTimer() -> UInt64? {
        var times: [UInt64] = self.table.pendingRespawns.map(\.at)
        if let upgrade = self.upgrade { times.append(upgrade.deadline) }
        times += self.table.generations.compactMap(\.drainDeadline)
        if let stop = self.stop, !stop.killed { times.append(stop.deadline) }
        if self.watchdogInterval != nil { times.append(self.nextWatchdog) }
        return times.min()
    }

    private func runTimers() {
        let now = MonotonicClock.now()
        let due = self.table.pendingRespawns.filter { $0.at <= now }
        self.table.pendingRespawns.removeAll { $0.at <= now }
        for respawn in due where self.stop == nil {
            guard let generation = self.table.generation(respawn.generation), generation.state == .serving else { continue }
            do {
                try self.spawnWorker(generation: respawn.generation, index: respawn.index, attempt: respawn.attempt)
            } catch {
                let crashes = respawn.attempt + 1
                self.logger.error("cannot respawn worker", metadata: ["index": "\(respawn.index)", "error": "\(error)"])
                self.table.pendingRespawns.append(.init(generation: respawn.generation, index: respawn.index, attempt: crashes,
                                                        at: now + RespawnBackoff.delayMilliseconds(consecutiveCrashes: crashes) * 1_000_000))
            }
            self.updateStatus()
        }
        if let upgrade = self.upgrade, upgrade.deadline <= now {
            self.failUpgrade("new workers not ready after \(self.options.readyTimeoutMilliseconds / 1000) s")
        }
        for generation in self.table.generations {
            guard let deadline = generation.drainDeadline, deadline <= now else { continue }
            let left = self.table.workers(in: generation.number)
            if !left.isEmpty {
                self.logger.warning("drain deadline passed; killing", metadata: ["generation": "\(generation.number)", "workers": "\(left.count)"])
            }
            for worker in left { kill(worker.pid, SIGKILL) }
            self.table.update(generation.number) { $0.drainDeadline = nil }
        }
        if var stop = self.stop, !stop.killed, stop.deadline <= now {
            if !self.table.workers.isEmpty {
                self.logger.warning("stop deadline passed; killing", metadata: ["workers": "\(self.table.workers.count)"])
            }
            for worker in self.table.workers { kill(worker.pid, SIGKILL) }
            stop.killed = true
            self.stop = stop
        }
        if let interval = self.watchdogInterval, self.nextWatchdog <= now {
            self.notifier.notify(["WATCHDOG=1"])
            self.nextWatchdog = now + interval
        }
    }

    // MARK: Stop

    func beginStop(graceful: Bool, exitCode: Int32) {
        if let stop = self.stop {
            // SIGTERM during a graceful stop: hurry up.
            if stop.graceful && !graceful { self.stop = nil } else { return }
        }
        self.notifier.notify(["STOPPING=1", "STATUS=stopping (\(graceful ? "draining" : "fast")), \(self.table.workers.count) workers"])
        if let upgrade = self.upgrade {
            if let fd = upgrade.replyFD { ControlSocket.reply(fd, "failed: the master is stopping") }
            self.upgrade = nil
        }
        self.closeControlSocket()
        self.table.pendingRespawns = []
        let now = MonotonicClock.now()
        if graceful {
            let longest = self.table.generations.map(\.settings.drainTimeoutMilliseconds).max() ?? 0
            for index in self.table.workers.indices {
                let milliseconds = self.table.generation(self.table.workers[index].generation)?.settings.drainTimeoutMilliseconds ?? longest
                self.sendDrain(to: index, milliseconds: milliseconds)
            }
            self.stop = Stop(graceful: true, deadline: now + UInt64(longest + 1000) * 1_000_000, exitCode: exitCode)
        } else {
            for index in self.table.workers.indices {
                let worker = self.table.workers[index]
                self.table.workers[index].state = .stopping
                if worker.controlFD >= 0 { try? ControlChannel(fd: worker.controlFD).send(.stop) }
                kill(worker.pid, SIGTERM)
            }
            self.stop = Stop(graceful: false, deadline: now + 700_000_000, exitCode: exitCode)
        }
    }

    private func closeControlSocket() {
        guard self.controlFD >= 0 else { return }
        close(self.controlFD)
        self.controlFD = -1
        unlink(self.options.controlSocketPath)
    }

    private func finish() {
        self.closeControlSocket()
        self.logger.info("master exiting", metadata: ["status": "\(self.exitCode ?? 0)"])
    }

    // MARK: Status

    func statusLine() -> String {
        if let stop = self.stop {
            return "stopping (\(stop.graceful ? "draining" : "fast")): \(self.table.workers.count) workers left"
        }
        var parts: [String] = []
        if let serving = self.table.serving {
            let ready = self.table.workers(in: serving.number).filter { $0.state == .ready }.count
            parts.append("generation \(serving.number) serving, \(ready)/\(serving.settings.workers) workers ready")
        } else {
            parts.append("starting")
        }
        if let number = self.upgrade?.generation, self.upgrade?.initial == false {
            parts.append("upgrading to generation \(number)")
        }
        let draining = self.table.generations.filter { $0.state == .draining || $0.state == .failed }.count
        if draining > 0 { parts.append("\(draining) generation\(draining == 1 ? "" : "s") draining") }
        for respawn in self.table.pendingRespawns {
            parts.append("worker \(respawn.index) restarting after \(respawn.attempt) crash\(respawn.attempt == 1 ? "" : "es")")
        }
        return parts.joined(separator: ", ") + "; last reload: \(self.lastReload)"
    }

    /// Sends `STATUS=` when it changed.
    func updateStatus(extra: [String] = []) {
        let line = self.statusLine()
        guard line != self.lastStatus || !extra.isEmpty else { return }
        self.lastStatus = line
        self.notifier.notify(extra + ["STATUS=\(line)"])
    }
}

/// Why the config could not be turned into `SupervisorSettings` (the executable's message).
public struct SupervisorSettingsError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
