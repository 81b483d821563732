/// What the master runs, read from the config each time the master (re)starts: the
/// executable maps its config onto this, so the supervisor knows nothing about HTTP.
/// Kept per generation (a respawned worker of an old generation gets that generation's).
public struct SupervisorSettings: Sendable, Codable, Equatable {
    /// A listening TCP socket the master owns (binds, or adopts from systemd).
    public struct Listener: Sendable, Codable, Equatable {
        /// Unique; matched against systemd's `LISTEN_FDNAMES`, and the key the worker gets it by.
        public var name: String
        /// A numeric IPv4/IPv6 address.
        public var host: String
        public var port: Int
        public var backlog: Int

        public init(name: String, host: String, port: Int, backlog: Int) {
            self.name = name
            self.host = host
            self.port = port
            self.backlog = backlog
        }

        /// What makes two listeners the same socket across a config change.
        var key: String { "\(name)@\(host):\(port)" }
    }

    /// The memory every worker of the service shares (DESIGN §4), opaque to the master: it
    /// creates a zero-filled memfd of `byteCount` bytes, hands it to every worker and keeps
    /// it across upgrades, as long as the binary it runs names the same `layout`.
    public struct SharedMemory: Sendable, Codable, Hashable {
        public var byteCount: Int
        /// How the binary lays the segment out; a new binary naming another layout gets a
        /// fresh segment (its workers could not read the old one).
        public var layout: String

        public init(byteCount: Int, layout: String) {
            self.byteCount = byteCount
            self.layout = layout
        }
    }

    public var listeners: [Listener]
    /// Worker processes per generation.
    public var workers: Int
    /// Event-loop threads per worker.
    public var threadsPerWorker: Int
    /// How long a draining generation may keep serving before it is SIGKILLed.
    public var drainTimeoutMilliseconds: Int
    public var configPath: String
    /// The config file's text when it was read.
    public var configText: String
    /// The segment this generation's workers share; nil for none (also what a generation
    /// started by a master from before shared memory decodes to).
    public var sharedMemory: SharedMemory?

    public init(
        listeners: [Listener], workers: Int, threadsPerWorker: Int = 1, drainTimeoutMilliseconds: Int,
        configPath: String, configText: String, sharedMemory: SharedMemory? = nil
    ) {
        self.listeners = listeners
        self.workers = workers
        self.threadsPerWorker = threadsPerWorker
        self.drainTimeoutMilliseconds = drainTimeoutMilliseconds
        self.configPath = configPath
        self.configText = configText
        self.sharedMemory = sharedMemory
    }
}

/// How the master itself behaves; from the command line, the same across upgrades.
public struct SupervisorOptions: Sendable, Codable, Equatable {
    /// The binary to validate, re-exec and spawn workers from (a path on disk, so a
    /// replaced binary takes effect at the next upgrade).
    public var binaryPath: String
    /// Arguments to re-exec the master with (without argv[0]), e.g. `["run", "-c", FILE, "--workers", "4"]`.
    public var masterArguments: [String]
    /// Arguments that start a worker (without argv[0]), e.g. `["worker"]`.
    public var workerArguments: [String]
    /// Arguments that validate a config (without argv[0]), e.g. `["check", "-c", FILE]`.
    public var checkArguments: [String]
    /// The unix socket `pylon reload` talks to.
    public var controlSocketPath: String
    /// How long a new generation may take to become ready before the upgrade is abandoned.
    public var readyTimeoutMilliseconds: Int
    /// At most this many generations drain at once; past it the oldest is SIGKILLed.
    public var maxDrainingGenerations: Int

    public init(
        binaryPath: String, masterArguments: [String], workerArguments: [String], checkArguments: [String],
        controlSocketPath: String, readyTimeoutMilliseconds: Int = 30_000, maxDrainingGenerations: Int = 4
    ) {
        self.binaryPath = binaryPath
        self.masterArguments = masterArguments
        self.workerArguments = workerArguments
        self.checkArguments = checkArguments
        self.controlSocketPath = controlSocketPath
        self.readyTimeoutMilliseconds = readyTimeoutMilliseconds
        self.maxDrainingGenerations = maxDrainingGenerations
    }
}
