#if canImport(Glibc)
import Glibc
#endif

/// Microseconds of `CLOCK_MONOTONIC`: one clock for every process on the machine, never set
/// back, and unaffected by a re-exec — so buckets written by one worker generation mean the
/// same to the next, and to its neighbours.
enum MonotonicClock {
    static func nowMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }
}
