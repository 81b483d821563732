import NIOHTTP1
import PylonProxy

/// The `request_id` policy: which ID a request carries, and where it is written.
struct RequestIDs: Sendable {
    /// The header carrying the ID both ways.
    let header: String
    /// Whether a request without a well-formed ID gets a new one.
    let generates: Bool
    /// Whose incoming ID is kept.
    let trustIncoming: IncomingRequestIDTrust
    let generator: RequestIDGenerator

    init(_ config: RequestIDConfig, generator: RequestIDGenerator = RequestIDGenerator()) {
        self.header = config.header
        self.generates = config.generate
        self.trustIncoming = config.trustIncoming
        self.generator = generator
    }

    /// The incoming ID if the sender may set it (`fromTrustedProxy` is asked only under
    /// `trusted_proxies`), there is exactly one and it is well-formed; else a new one (or
    /// nil when IDs are not generated).
    func requestID(for headers: HeaderFields, fromTrustedProxy: @autoclosure () -> Bool) -> String? {
        if self.keepsIncoming(fromTrustedProxy: fromTrustedProxy) {
            let values = headers[self.header]
            if values.count == 1, Self.isWellFormed(values[0]) { return values[0] }
        }
        return self.generates ? self.generator.next() : nil
    }

    /// `session`'s ID, its sender judged by `clientAddresses` (see `isFromTrustedProxy`): what
    /// the gateway and a redirect listener both take at a request's start.
    func requestID(for session: ProxySession, clientAddresses: ClientAddressResolver) -> String? {
        self.requestID(for: session.request.headers, fromTrustedProxy: clientAddresses.isFromTrustedProxy(session))
    }

    private func keepsIncoming(fromTrustedProxy: () -> Bool) -> Bool {
        switch self.trustIncoming {
        case .always: true
        case .trustedProxies: fromTrustedProxy()
        case .never: false
        }
    }

    /// An ID is passed on only if it can do no harm in a header, a log line or a URL: 1-128
    /// visible ASCII characters (no spaces, no control bytes).
    static func isWellFormed(_ value: String) -> Bool {
        let utf8 = value.utf8
        return (1...128).contains(utf8.count) && utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    /// Puts the request's ID on its response. A request refused before its ID was taken
    /// (unparseable, 408) gets one here, if IDs are generated.
    func writeResponseID(_ id: inout String?, to headers: inout HeaderFields) {
        if id == nil, self.generates { id = self.generator.next() }
        if let id { headers.replaceOrAdd(name: self.header, value: id) }
    }

    /// Puts `id` in `headers` in place of whatever the header held; without an ID the
    /// header goes (a malformed incoming one is not passed on).
    func write(_ id: String?, to headers: inout HeaderFields) {
        if let id {
            headers.replaceOrAdd(name: self.header, value: id)
        } else if headers.contains(name: self.header) {
            headers.remove(name: self.header)
        }
    }
}
