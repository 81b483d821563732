/// How many worker processes the master runs (`workers: auto` or `workers: 4`).
public enum WorkerCount: Sendable, Equatable {
    /// One worker per CPU core available to the process.
    case auto
    /// Exactly this many workers, 1...1024.
    case fixed(Int)

    /// The largest fixed count accepted: a typo like `workers: 40000` should fail the check,
    /// not fork forty thousand processes.
    public static let maximum = 1024
}
