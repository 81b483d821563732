/// A per-client request rate limit (`rate_limit`): a token bucket for every value of `key`
/// that holds up to `burst` requests and refills at `rate`. A client over its limit gets 429
/// with `Retry-After`. The check runs before authentication, so it limits what clients send,
/// not who they turn out to be.
public struct RateLimitConfig: Sendable, Equatable {
    /// What identifies a client (`key`); default `.clientIP`.
    public var key: RateLimitKey
    /// The sustained rate each client may send at (`rate`, e.g. `10/s`, `600/m`, `1000/h`); required.
    public var rate: RequestRate
    /// How many requests a client that has been quiet may send at once (`burst`); default
    /// the per-second rate rounded up, at least 1.
    public var burst: Int

    public init(key: RateLimitKey = .clientIP, rate: RequestRate, burst: Int? = nil) {
        self.key = key
        self.rate = rate
        self.burst = burst ?? rate.defaultBurst
    }
}

/// What a rate limit counts requests by.
public enum RateLimitKey: Sendable, Equatable {
    /// The client's IP address (`client_ip`).
    case clientIP
    /// The API key the client sent (`api_key`): in the header the route's `api_key` auth
    /// names, else `X-API-Key`; requests without one are counted by client IP.
    case apiKey
    /// The value of a request header (`header:NAME`); requests without it are counted by client IP.
    case header(String)

    /// The header `api_key` reads on a route without `api_key` auth of its own.
    public static let apiKeyHeader = "X-API-Key"

    /// The header whose value is the key, nil for `clientIP`.
    public var headerName: String? {
        switch self {
        case .clientIP: nil
        case .apiKey: Self.apiKeyHeader
        case .header(let name): name
        }
    }
}

/// A number of requests per second, minute or hour, as written (`10/s`).
public struct RequestRate: Sendable, Equatable, CustomStringConvertible {
    /// How many requests per `period`; at least 1.
    public var requests: Int
    public var period: RatePeriod

    public init(requests: Int, per period: RatePeriod) {
        self.requests = requests
        self.period = period
    }

    /// The per-second rate rounded up, at least 1: the burst when none is written.
    public var defaultBurst: Int {
        max(1, (requests + period.seconds - 1) / period.seconds)
    }

    public var description: String { "\(requests)/\(period.rawValue)" }
}

/// The time unit of a `RequestRate`.
public enum RatePeriod: String, Sendable, Equatable, CaseIterable {
    case second = "s"
    case minute = "m"
    case hour = "h"

    public var seconds: Int {
        switch self {
        case .second: 1
        case .minute: 60
        case .hour: 3_600
        }
    }
}

/// A route's own `rate_limit`.
public enum RouteRateLimit: Sendable, Equatable {
    /// No `rate_limit` on the route: the top-level one applies, if any; such routes share
    /// its buckets, so a client's requests to all of them count together.
    case inherit
    /// `rate_limit: off`: this route is never limited.
    case off
    /// A limit of the route's own, with buckets of its own.
    case custom(RateLimitConfig)
}
