/// What a bucket said about one request.
struct RateLimitDecision: Sendable, Equatable {
    /// Whether the request may go on.
    let allowed: Bool
    /// Whole requests the client may still send right now.
    let remaining: UInt64
    /// Allowed: microseconds until the bucket is full again. Refused: microseconds until the
    /// next request would be allowed.
    let waitMicroseconds: UInt64

    /// `waitMicroseconds` in whole seconds, rounded up: what `Retry-After` and the
    /// `RateLimit` field's `t` say. A refused request is told at least 1, since 0 would
    /// invite an immediate retry.
    var waitSeconds: UInt64 {
        let seconds = (waitMicroseconds + 999_999) / 1_000_000
        return allowed ? seconds : max(1, seconds)
    }
}
