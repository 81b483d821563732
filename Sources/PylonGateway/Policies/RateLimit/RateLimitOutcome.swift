/// What the rate limit decided for one request, kept in the request's context so the
/// response can tell the client where it stands.
struct RateLimitOutcome: Sendable {
    /// Index of the limiter in `RouteRateLimits.limiters`.
    let limiter: Int
    let decision: RateLimitDecision
}
