/// The master's bookkeeping: generations and their worker processes. A pure value (no
/// system calls), serialised into the re-exec state so the new master adopts it whole.
public struct GenerationTable: Sendable, Codable, Equatable {
    public enum GenerationState: String, Sendable, Codable {
        /// Workers starting; not yet all ready.
        case starting
        /// The generation taking traffic.
        case serving
        /// Told to drain; SIGKILLed at `drainDeadline`.
        case draining
        /// Never became ready; being drained away.
        case failed
    }

    public struct Generation: Sendable, Codable, Equatable {
        public var number: Int
        public var state: GenerationState
        public var settings: SupervisorSettings
        /// Listener keys (`SupervisorSettings.Listener.key`) this generation holds.
        public var listenerKeys: [String]
        /// CLOCK_MONOTONIC ns after which the remaining workers are SIGKILLed.
        public var drainDeadline: UInt64?
    }

    public enum WorkerState: String, Sendable, Codable {
        case starting, ready, draining, stopping
    }

    public struct Worker: Sendable, Codable, Equatable {
        public var pid: Int32
        public var generation: Int
        public var index: Int
        /// The master's end of the control socket; -1 once the worker closed it.
        public var controlFD: Int32
        public var state: WorkerState
        public var startedAt: UInt64
        /// Consecutive crashes before this worker was started (0 for a first start).
        public var attempt: Int

        public init(pid: Int32, generation: Int, index: Int, controlFD: Int32, state: WorkerState, startedAt: UInt64, attempt: Int) {
            self.pid = pid
            self.generation = generation
            self.index = index
            self.controlFD = controlFD
            self.state = state
            self.startedAt = startedAt
            self.attempt = attempt
        }
    }

    public struct PendingRespawn: Sendable, Codable, Equatable {
        public var generation: Int
        public var index: Int
        /// Consecutive crashes so far.
        public var attempt: Int
        /// CLOCK_MONOTONIC ns when to respawn.
        public var at: UInt64

        public init(generation: Int, index: Int, attempt: Int, at: UInt64) {
            self.generation = generation
            self.index = index
            self.attempt = attempt
            self.at = at
        }
    }

    public private(set) var generations: [Generation] = []
    public var workers: [Worker] = []
    public var pendingRespawns: [PendingRespawn] = []
    public private(set) var lastGeneration = 0

    public init() {}

    // MARK: Generations

    /// Adds a new `starting` generation numbered one past the last.
    @discardableResult
    public mutating func addGeneration(settings: SupervisorSettings, listenerKeys: [String]) -> Int {
        self.lastGeneration += 1
        self.generations.append(Generation(number: self.lastGeneration, state: .starting, settings: settings, listenerKeys: listenerKeys))
        return self.lastGeneration
    }

    public func generation(_ number: Int) -> Generation? {
        self.generations.first { $0.number == number }
    }

    public mutating func update(_ number: Int, _ body: (inout Generation) -> Void) {
        if let index = self.generations.firstIndex(where: { $0.number == number }) { body(&self.generations[index]) }
    }

    public var serving: Generation? { self.generations.last { $0.state == .serving } }

    /// Draining generations, oldest first.
    public var draining: [Generation] { self.generations.filter { $0.state == .draining } }

    /// Generations that are finished (draining or failed) and have no worker left.
    public func finishedGenerations() -> [Int] {
        self.generations.filter { generation in
            (generation.state == .draining || generation.state == .failed)
                && !self.workers.contains { $0.generation == generation.number }
                && !self.pendingRespawns.contains { $0.generation == generation.number }
        }.map(\.number)
    }

    public mutating func removeGeneration(_ number: Int) {
        self.generations.removeAll { $0.number == number }
        self.pendingRespawns.removeAll { $0.generation == number }
    }

    /// Every listener key some remaining generation still holds.
    public var listenerKeysInUse: Set<String> {
        Set(self.generations.flatMap(\.listenerKeys))
    }

    /// Every shared-memory segment some remaining generation still uses.
    public var sharedMemoryInUse: Set<SupervisorSettings.SharedMemory> {
        Set(self.generations.compactMap(\.settings.sharedMemory))
    }

    // MARK: Workers

    public func workers(in generation: Int) -> [Worker] {
        self.workers.filter { $0.generation == generation }
    }

    /// True when the generation has its full worker count and every one said `ready`.
    public func isReady(_ number: Int) -> Bool {
        guard let generation = self.generation(number) else { return false }
        let workers = self.workers(in: number)
        return workers.count == generation.settings.workers && workers.allSatisfy { $0.state == .ready }
    }

    public func workerIndex(pid: Int32) -> Int? { self.workers.firstIndex { $0.pid == pid } }

    public func workerIndex(controlFD: Int32) -> Int? { self.workers.firstIndex { $0.controlFD == controlFD } }

    /// Removes and returns the worker with `pid`.
    public mutating func removeWorker(pid: Int32) -> Worker? {
        guard let index = self.workerIndex(pid: pid) else { return nil }
        return self.workers.remove(at: index)
    }
}
