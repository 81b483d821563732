/// The shape of one token bucket in the terms GCRA (the generic cell rate algorithm) uses:
/// a request costs `interval` of "theoretical arrival time", and a bucket may run at most
/// `tolerance` ahead of now. With `burst` requests allowed at once and one more every
/// `interval`, a client gets exactly `burst + t / interval` requests in any `t`.
struct BucketLimit: Sendable, Equatable {
    /// Microseconds between requests at the sustained rate; at least 1.
    let interval: UInt64
    /// How many requests a full bucket holds; at least 1.
    let burst: UInt64

    /// `burst × interval`: how far ahead of now a bucket's arrival time may be after a request.
    var tolerance: UInt64 { burst * interval }

    init(interval: UInt64, burst: UInt64) {
        precondition(interval >= 1 && burst >= 1, "a bucket needs a positive interval and burst")
        self.interval = interval
        self.burst = burst
    }

    /// `rate` requests with `burst` at once. Rates that do not divide a second evenly are
    /// rounded to the nearest microsecond: `3/s` becomes one request per 333,333 µs, off by
    /// one in a million.
    init(rate: RequestRate, burst: Int) {
        let periodMicroseconds = UInt64(rate.period.seconds) * 1_000_000
        let requests = UInt64(rate.requests)
        self.init(interval: max(1, (periodMicroseconds + requests / 2) / requests), burst: UInt64(burst))
    }
}
