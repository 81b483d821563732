import Foundation

/// One HTTPS request with `openssl s_client` that saves its TLS session to a file, or offers
/// a saved one: whether the server resumed it ("Reused" rather than "New").
///
/// The request says `Connection: close` and s_client ignores the end of its input
/// (`-ign_eof`), so it reads until the server closes: by then the TLS 1.3 session tickets,
/// which come after the handshake, have certainly arrived and been saved.
struct TLSResumptionProbe {
    enum Version: String {
        case tls12 = "-tls1_2"
        case tls13 = "-tls1_3"
    }

    /// s_client's exit status (0: handshake and exchange completed).
    let exitCode: Int32
    /// Everything s_client printed.
    let output: String

    /// Connects to 127.0.0.1:`port` with SNI `serverName`, offering the session in
    /// `sessionIn` if given, saving the session it ends with to `sessionOut` if given.
    static func request(
        port: Int, serverName: String, version: Version, sessionIn: String? = nil, sessionOut: String? = nil,
        timeout: Double = 15
    ) throws -> TLSResumptionProbe {
        var arguments = [
            OpenSSL.executable, "s_client", "-connect", "127.0.0.1:\(port)", "-servername", serverName,
            version.rawValue, "-ign_eof",
        ]
        if let sessionIn { arguments += ["-sess_in", sessionIn] }
        if let sessionOut { arguments += ["-sess_out", sessionOut] }
        let request = "GET / HTTP/1.1\\r\\nHost: \(serverName)\\r\\nConnection: close\\r\\n\\r\\n"
        let script = "printf '\(request)' | \(arguments.joined(separator: " "))"
        let directory = try TemporaryDirectory.make(prefix: "pylon-s_client")
        defer { TemporaryDirectory.remove(directory) }
        let child = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", script], stdoutPath: "\(directory)/out", stderrPath: "\(directory)/err"
        )
        let status = child.waitForExit(timeout: timeout) ?? child.kill()
        let output = OpenSSL.text(of: "\(directory)/out") + OpenSSL.text(of: "\(directory)/err")
        return TLSResumptionProbe(exitCode: status.code, output: output)
    }

    /// The server resumed the offered session (s_client's "Reused, TLSv1.x, …" line).
    var resumed: Bool { self.summary?.hasPrefix("Reused,") ?? false }

    /// s_client's "New, …" or "Reused, …" line.
    var summary: String? {
        self.output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("New,") || $0.hasPrefix("Reused,") }.map(String.init)
    }

    /// The HTTP status line of the response, if one came.
    var statusLine: String? {
        self.output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("HTTP/1.1 ") }.map(String.init)
    }
}
