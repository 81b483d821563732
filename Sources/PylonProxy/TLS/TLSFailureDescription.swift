import NIOSSL

/// A TLS failure in words fit for a log line: BoringSSL's reason codes (`HTTP_REQUEST`,
/// `UNSUPPORTED_PROTOCOL`, `TLSV1_ALERT_UNKNOWN_CA`, …) instead of its whole error stack
/// with source paths, plus the distinctions the proxy acts on.
struct TLSFailureDescription: CustomStringConvertible {
    /// BoringSSL reason codes, outermost last; empty for failures NIOSSL describes itself.
    let reasonCodes: [String]
    /// What went wrong, for the log.
    let reason: String
    /// The peer closed the connection before the handshake was done.
    let isEndOfInput: Bool
    /// The peer's certificate was not trusted or does not name the host.
    let isCertificateRefused: Bool

    init(_ error: any Error) {
        var codes: [String] = []
        var endOfInput = false
        var hostnameMismatch = false
        func read(_ boringSSLError: BoringSSLError) {
            switch boringSSLError {
            case .sslError(let stack), .unknownError(let stack):
                endOfInput = stack.contains(.eofDuringHandshake)
                codes = stack.compactMap(Self.reasonCode)
            default:
                break
            }
        }
        switch error {
        case NIOSSLError.handshakeFailed(let boringSSLError), NIOSSLError.shutdownFailed(let boringSSLError):
            read(boringSSLError)
        case let boringSSLError as BoringSSLError:
            // After the handshake, e.g. an alert refusing our client certificate under TLS 1.3.
            read(boringSSLError)
        case let extra as NIOSSLExtraError where extra == .failedToValidateHostname:
            hostnameMismatch = true
        default:
            break
        }
        self.reasonCodes = codes
        self.isEndOfInput = endOfInput
        self.isCertificateRefused = hostnameMismatch || codes.contains("CERTIFICATE_VERIFY_FAILED")
        if endOfInput {
            self.reason = "the peer closed the connection during the handshake"
        } else if codes.isEmpty {
            self.reason = "\(error)"
        } else {
            self.reason = codes.joined(separator: ", ")
        }
    }

    /// Whether the error came from TLS at all.
    static func isTLSError(_ error: any Error) -> Bool {
        error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
    }

    /// Whether the bytes that arrived were a plain-text HTTP request.
    var isPlainHTTP: Bool { self.reasonCodes.contains("HTTP_REQUEST") }

    var description: String { self.reason }

    /// `HTTP_REQUEST` out of `Error: 268435612 error:1000009c:SSL routines:OPENSSL_internal:HTTP_REQUEST at …`.
    private static func reasonCode(_ entry: BoringSSLInternalError) -> String? {
        // `error:<code>:<library>:<function>:<REASON> at <file>:<line>`: the fifth field.
        let text = entry.description
        guard let start = text.firstRange(of: "error:")?.lowerBound else { return nil }
        let fields = text[start...].split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count >= 5 else { return nil }
        let code = fields[4].prefix { $0 != " " }
        return code.isEmpty ? nil : String(code)
    }
}
