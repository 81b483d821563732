import NIOHTTP1
import PylonProxy

/// One configured rate limit: which requests share a bucket, how big the bucket is, and
/// what clients are told about it (the `RateLimit-Policy` and `RateLimit` fields of the
/// IETF httpapi draft "RateLimit header fields for HTTP").
struct RateLimiter: Sendable {
    /// The policy's name in the header fields: `default` for the top-level limit, the
    /// route's name for a route's own.
    let policyName: String
    let key: RateLimitKey
    let limit: BucketLimit
    /// The `RateLimit-Policy` value, the same on every response: `q` is the burst and `w`
    /// the seconds an empty bucket takes to refill completely, so `q/w` is the sustained
    /// rate and `q` the most a client may send at once (`"default";q=20;w=2` for 10/s with
    /// burst 20). `w` is rounded up to whole seconds, as the draft requires.
    let policyField: String
    /// The policy name as a structured-field string: where every `RateLimit` value starts.
    private let quotedName: String
    private let table: RateLimitTable
    /// SipHash already fed with the policy's name, so one client's buckets under different
    /// limits are different buckets, and the same in every worker and generation.
    private let seed: SipHash

    init(policyName: String, config: RateLimitConfig, table: RateLimitTable, hashKey: (UInt64, UInt64)) {
        self.policyName = policyName
        self.key = config.key
        self.limit = BucketLimit(rate: config.rate, burst: config.burst)
        self.quotedName = Self.structuredString(policyName)
        let window = max(1, (self.limit.tolerance + 999_999) / 1_000_000)
        self.policyField = "\(self.quotedName);q=\(config.burst);w=\(window)"
        self.table = table
        var seed = SipHash(key: hashKey)
        seed.combine(policyName.utf8)
        seed.combine(0)
        self.seed = seed
    }

    /// Counts one request against its client's bucket. `apiKeyHeader` is where an
    /// `api_key`-keyed limit finds the key on this request's route.
    func check(
        headers: HeaderFields, clientIP: String?, apiKeyHeader: String = RateLimitKey.apiKeyHeader,
        now: UInt64 = MonotonicClock.nowMicroseconds()
    ) -> RateLimitDecision {
        let key = self.bucketKey(headers: headers, clientIP: clientIP, apiKeyHeader: apiKeyHeader)
        return self.table.acquire(key: key, limit: self.limit, now: now)
    }

    /// The hash naming the request's bucket: of the key header's value, or of the client IP
    /// when the key is the IP or the header is missing or empty. The two kinds are hashed
    /// apart, so an API key spelt like an IP address never shares that IP's bucket.
    func bucketKey(headers: HeaderFields, clientIP: String?, apiKeyHeader: String = RateLimitKey.apiKeyHeader) -> UInt64 {
        var hasher = self.seed
        let name = self.key == .apiKey ? apiKeyHeader : self.key.headerName
        if let name, let value = headers.first(name: name), !value.isEmpty {
            hasher.combine(1)
            hasher.combine(value.utf8)
        } else {
            hasher.combine(2)
            hasher.combine((clientIP ?? "").utf8)
        }
        return hasher.finalize()
    }

    /// Adds `RateLimit-Policy` and `RateLimit` to a response on this limit's route. `r` is
    /// the requests left now; `t` is the seconds until the bucket is full again, or on a
    /// refusal the seconds until the next request is allowed (= `Retry-After`, which the
    /// draft says must not end before the window).
    func addFields(for decision: RateLimitDecision, to headers: inout HeaderFields) {
        headers.add(name: "RateLimit-Policy", value: self.policyField)
        headers.add(name: "RateLimit", value: "\(self.quotedName);r=\(decision.remaining);t=\(decision.waitSeconds)")
    }

    /// The 429 for a refused request; the rate-limit fields are added with every other
    /// response's, in `responseFilter`.
    func refusal(for decision: RateLimitDecision) -> ProxyResponse {
        let seconds = decision.waitSeconds
        return .text(
            .tooManyRequests, "429 Too Many Requests: retry in \(seconds) s",
            headers: ["Retry-After": String(seconds)]
        )
    }

    /// `text` as a structured-field string (RFC 9651 §3.3.3): quoted, with `"` and `\`
    /// escaped; anything outside printable ASCII (which route names do not contain) becomes `?`.
    static func structuredString(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\": quoted += "\\" + String(scalar)
            case " "..."~": quoted.unicodeScalars.append(scalar)
            default: quoted += "?"
            }
        }
        return quoted + "\""
    }
}
