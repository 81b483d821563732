/// One message of the master ↔ worker control protocol (DESIGN §3 "Control protocol").
///
/// Master → worker: `hello` (with the listener descriptors in the same datagram), `drain`,
/// `stop`. Worker → master: `ready`, `draining`, `drained`, `error`. `ControlCodec` frames
/// them; `ControlChannel` carries them with their descriptors.
public enum ControlMessage: Sendable, Equatable {
    /// Master → worker, first message: everything the worker needs to serve. The datagram's
    /// SCM_RIGHTS descriptors are the ones named in `Hello.listeners`, in that order: the
    /// listeners, then the shared-memory segment (`Hello.sharedMemoryName`) if there is one.
    case hello(Hello)
    /// Master → worker: stop accepting, finish in-flight work, exit within `deadlineMilliseconds`.
    case drain(deadlineMilliseconds: Int)
    /// Master → worker: stop now (fast shutdown).
    case stop
    /// Worker → master: serving on every listener it was handed.
    case ready(pid: Int32, generation: Int)
    /// Worker → master: the drain has begun (no longer accepting).
    case draining
    /// Worker → master: every connection is closed; the worker exits next.
    case drained
    /// Worker → master: it cannot serve (bad config, listener adoption failed, …).
    case error(message: String)

    public struct Hello: Sendable, Equatable, Codable {
        /// The name the shared-memory segment's descriptor travels under: no listener can be
        /// named so (config listener names never start with `@`).
        public static let sharedMemoryName = "@shared-memory"

        /// The generation the worker belongs to (1 for the first, +1 per upgrade).
        public var generation: Int
        /// The worker's slot in its generation, 0..<workers.
        public var workerIndex: Int
        /// Names of the descriptors in the same datagram, in order.
        public var listeners: [String]
        /// Where the config came from (for messages), and its text as the master read it:
        /// a respawned worker of an old generation gets that generation's config even when
        /// the file has changed since.
        public var configPath: String
        public var configText: String
        /// How long a drain started by EOF on the control socket (the master died) may take.
        public var drainTimeoutMilliseconds: Int
        /// Event-loop threads to run.
        public var threads: Int

        public init(
            generation: Int, workerIndex: Int, listeners: [String], configPath: String, configText: String,
            drainTimeoutMilliseconds: Int, threads: Int
        ) {
            self.generation = generation
            self.workerIndex = workerIndex
            self.listeners = listeners
            self.configPath = configPath
            self.configText = configText
            self.drainTimeoutMilliseconds = drainTimeoutMilliseconds
            self.threads = threads
        }
    }

    /// Short name for logs.
    public var kind: String {
        switch self {
        case .hello: return "hello"
        case .drain: return "drain"
        case .stop: return "stop"
        case .ready: return "ready"
        case .draining: return "draining"
        case .drained: return "drained"
        case .error: return "error"
        }
    }
}
