import Foundation

/// One TLS handshake with `openssl s_client`, for what curl does not show: which
/// certificate the server chose, what ALPN settled on, a handshake without SNI.
struct TLSClientProbe {
    /// s_client's exit code: 0 when the handshake completed.
    let exitCode: Int32
    /// Everything it printed (the server's certificate subject, the ALPN result, errors).
    let output: String

    /// Connects to 127.0.0.1:`port` and handshakes. `serverName` nil sends no SNI.
    static func handshake(port: Int, serverName: String?, alpn: [String] = [], timeout: Double = 10) throws -> TLSClientProbe {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)"]
        if let serverName { arguments += ["-servername", serverName] } else { arguments.append("-noservername") }
        if !alpn.isEmpty { arguments += ["-alpn", alpn.joined(separator: ",")] }
        let result = try OpenSSL.runToExit(arguments, timeout: timeout)
        return TLSClientProbe(exitCode: result.status.code, output: result.stdout + result.stderr)
    }

    /// The common name of the certificate the server presented (`subject=CN = …`).
    var serverCommonName: String? {
        for line in output.split(whereSeparator: \.isNewline) where line.hasPrefix("subject=") {
            guard let range = line.range(of: "CN = ") ?? line.range(of: "CN=") else { continue }
            return String(line[range.upperBound...].prefix { $0 != "," && $0 != "/" })
        }
        return nil
    }

    /// The protocol ALPN settled on, nil when none was negotiated.
    var negotiatedProtocol: String? {
        for line in output.split(whereSeparator: \.isNewline) where line.hasPrefix("ALPN protocol: ") {
            return String(line.dropFirst("ALPN protocol: ".count))
        }
        return nil
    }
}
