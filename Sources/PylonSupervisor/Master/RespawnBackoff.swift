/// When to respawn a worker that died unexpectedly: 100 ms after the first crash,
/// doubling per consecutive crash up to 30 s; a worker that had been up for 60 s or more
/// counts as healthy, so its crash starts the sequence over at 100 ms.
public enum RespawnBackoff {
    public static let initialMilliseconds: UInt64 = 100
    public static let maximumMilliseconds: UInt64 = 30_000
    public static let healthyAfterMilliseconds: UInt64 = 60_000

    /// Consecutive crashes including the one that just happened, given the count that
    /// started the worker (0 for a first start) and how long it had been running.
    public static func consecutiveCrashes(previous: Int, uptimeMilliseconds: UInt64) -> Int {
        uptimeMilliseconds >= healthyAfterMilliseconds ? 1 : previous + 1
    }

    /// Delay before respawning after `crashes` consecutive crashes (1 → 100 ms).
    public static func delayMilliseconds(consecutiveCrashes crashes: Int) -> UInt64 {
        let shift = min(max(crashes - 1, 0), 20)
        return min(initialMilliseconds << UInt64(shift), maximumMilliseconds)
    }
}
