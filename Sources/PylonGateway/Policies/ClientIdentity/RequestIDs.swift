import NIOHTTP1
import PylonProxy

/// The `request_id` policy: which ID a request carries, and where it is written.
struct RequestIDs: Sendable {
    /// The header carrying the ID both ways.
    let header: HeaderFieldName
    /// Whether a request without a well-formed ID gets a new one.
    let generates: Bool
    /// Whose incoming ID is kept.
    let trustIncoming: IncomingRequestIDTrust
    let generator: RequestIDGenerator

    init(_ config: RequestIDConfig, generator: RequestIDGenerator = RequestIDGenerator()) {
        guard let header = HeaderFieldName(config.header) else {
            // The config reader refuses such a name with its place in the file.
            preconditionFailure("request_id.header \"\(config.header)\" is not a header name")
        }
        self.header = header
        self.generates = config.generate
        self.trustIncoming = config.trustIncoming
        self.generator = generator
    }

    /// The incoming ID if the sender may set it (`fromTrustedProxy` is asked only under
    /// `trusted_proxies`), there is exactly one and it is well-formed; else a new one (or
    /// nil when IDs are not generated).
    func requestID(for headers: HeaderFields, fromTrustedProxy: @autoclosure () -> Bool) -> RequestID? {
        if self.keepsIncoming(fromTrustedProxy: fromTrustedProxy) {
            let values = headers[self.header.string]
            if values.count == 1, Self.isWellFormed(values[0]) { return .received(values[0]) }
        }
        return self.generates ? .generated(self.generator.next()) : nil
    }

    /// `session`'s ID, its sender judged by `clientAddresses` (see `isFromTrustedProxy`): what
    /// the gateway and a redirect listener both take at a request's start.
    func requestID(for session: ProxySession, clientAddresses: ClientAddressResolver) -> RequestID? {
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
    func writeResponseID(_ id: inout RequestID?, to headers: inout HeaderFields) {
        if id == nil, self.generates { id = .generated(self.generator.next()) }
        if let id { id.withUTF8 { headers.replaceOrAdd(self.header, value: $0) } }
    }

    /// Puts `id` in `headers` in place of whatever the header held; without an ID the
    /// header goes (a malformed incoming one is not passed on).
    func write(_ id: RequestID?, to headers: inout HeaderFields) {
        if let id {
            id.withUTF8 { headers.replaceOrAdd(self.header, value: $0) }
        } else {
            headers.remove(self.header)
        }
    }
}
