/// What went wrong while proxying one request; `failToProxy` turns it into a response.
public struct ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The upstream refused or reset the TCP connect.
        case connectFailed
        /// The TCP connect did not complete in time.
        case connectTimeout
        /// The upstream went silent for longer than the peer's read timeout.
        case readTimeout
        /// The upstream closed the connection before the response was complete.
        case upstreamClosed
        /// The upstream sent something that is not a valid HTTP response, or did not agree
        /// to the HTTP version it is configured for.
        case upstreamProtocol
        /// An HTTP/2 upstream refused the request's stream without processing it
        /// (`REFUSED_STREAM`, or a stream beyond its GOAWAY's last stream ID): a request
        /// without a body may go again (RFC 9113 §8.7).
        case upstreamRefusedStream
        /// The upstream's TLS certificate was not trusted or does not name it.
        case upstreamCertificateRefused
        /// The TLS handshake with the upstream failed for another reason (no common
        /// version or cipher, a client certificate it refused, a closed connection).
        case upstreamTLSFailed
        /// The client went away before the response was complete.
        case downstreamClosed
        /// The client's request was malformed or over a limit; `status` says which.
        case badRequest(status: Int)
        /// A phase of the `ProxyHTTP` implementation threw.
        case phase
    }

    public var kind: Kind
    /// Details for the log line.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The status a client should see for this error, when a response can still be sent.
    public var suggestedStatus: Int {
        switch self.kind {
        case .connectFailed, .upstreamClosed, .upstreamProtocol, .upstreamRefusedStream, .upstreamCertificateRefused,
            .upstreamTLSFailed:
            502
        case .connectTimeout, .readTimeout: 504
        case .downstreamClosed: 499
        case .badRequest(let status): status
        case .phase: 500
        }
    }

    public var description: String { "\(self.kind): \(self.message)" }
}
