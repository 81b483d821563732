/// The behaviour a `TestBackend` request selects, decided from its path alone.
///
/// The first path segment naming a behaviour wins, so a proxy that forwards a route prefix
/// unchanged still reaches it: `/echo` and `/api/v1/echo` both echo. A path naming no
/// behaviour (including `/`) gets the default "who am I" answer.
enum TestBackendRoute: Equatable, Sendable {
    /// 200, body `name + "\n"`.
    case identify
    /// 200, request body streamed back chunked, request headers returned as `X-Echo-*`.
    case echo
    /// 200, JSON `BackendRequestReport` of the request head.
    case headers
    /// 200, N pattern bytes with Content-Length, streamed in 64 KiB pieces.
    case bytes(Int)
    /// Same, chunked transfer-encoding.
    case chunked(Int)
    /// Waits MS milliseconds, then 200 "slow\n".
    case slow(milliseconds: Int)
    /// Head at once, then the body in 10 pieces spread over MS milliseconds.
    case slowBody(milliseconds: Int)
    /// Status N; no body for 204/304, else "status N\n".
    case status(Int)
    /// Content-Length: 1000, then 100 bytes, then close.
    case truncate
    /// 200 with `Connection: close`, then close.
    case close
    /// Reads and discards the body; 200 with the byte count as body.
    case sink
    /// 200 "continued N\n" after reading the body (100 Continue first if asked for).
    case expectContinue
    /// 400, unusable argument in the path.
    case badRequest(String)

    init(uri: String) {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let segments = path.split(separator: "/").map(String.init)
        self = .identify
        for (index, segment) in segments.enumerated() {
            let argument = index + 1 < segments.count ? segments[index + 1] : nil
            if let route = Self.route(named: segment, argument: argument) {
                self = route
                return
            }
        }
    }

    private static func route(named name: String, argument: String?) -> TestBackendRoute? {
        func number(_ make: (Int) -> TestBackendRoute) -> TestBackendRoute {
            guard let argument, let value = Int(argument), value >= 0 else {
                return .badRequest("/\(name)/ needs a non-negative number, got \(argument ?? "nothing")")
            }
            return make(value)
        }
        switch name {
        case "echo": return .echo
        case "headers": return .headers
        case "bytes": return number { .bytes($0) }
        case "chunked": return number { .chunked($0) }
        case "slow": return number { .slow(milliseconds: $0) }
        case "slow-body": return number { .slowBody(milliseconds: $0) }
        case "status":
            let route = number { .status($0) }
            if case .status(let code) = route, !(200...599).contains(code) {
                return .badRequest("/status/ needs 200...599, got \(code)")
            }
            return route
        case "truncate": return .truncate
        case "close": return .close
        case "sink": return .sink
        case "continue": return .expectContinue
        default: return nil
        }
    }
}

/// The JSON body of `/headers`: what the backend received, for asserting on what the proxy
/// forwarded. Header names are lowercased; values keep their order.
struct BackendRequestReport: Codable, Sendable, Equatable {
    var method: String
    var uri: String
    /// "HTTP/1.1"
    var version: String
    var headers: [String: [String]]

    /// Values of `name` (any case), `[]` if absent.
    func values(_ name: String) -> [String] { headers[name.lowercased()] ?? [] }
}

/// The deterministic body of `/bytes/N` and `/chunked/N`: byte i is `i % 251`.
///
/// A prime period (rather than 256) means a proxy that drops, duplicates or reorders a 64 KiB
/// piece breaks the pattern instead of silently producing the same bytes.
enum BackendBodyPattern {
    static let period = 251

    static func byte(at offset: Int) -> UInt8 { UInt8(offset % period) }

    static func bytes(count: Int, startingAt offset: Int = 0) -> [UInt8] {
        (0..<count).map { byte(at: offset + $0) }
    }

    /// Offset of the first byte that breaks the pattern, or `nil` if `body` follows it.
    static func firstMismatch<Body: Collection>(in body: Body) -> Int? where Body.Element == UInt8 {
        var offset = 0
        for byte in body {
            if byte != self.byte(at: offset) { return offset }
            offset += 1
        }
        return nil
    }
}
