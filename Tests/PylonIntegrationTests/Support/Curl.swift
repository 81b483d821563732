import Foundation

/// The result of one `curl` run.
struct CurlResult: Sendable, CustomStringConvertible {
    /// curl's exit code: 0 ok, 7 connect refused, 18 partial body, 28 timeout,
    /// 52 empty reply, 56 receive failure (e.g. reset), ...
    var exitCode: Int32
    /// Status of the last response (`%{http_code}`), 0 if there was none.
    var status: Int
    /// Status of every response head curl received, in order (e.g. `[100, 200]`).
    var statusCodes: [Int]
    /// Status line of the last response, e.g. "HTTP/1.1 200 OK".
    var statusLine: String
    /// Header fields of the last response, in wire order.
    var headers: [(name: String, value: String)]
    var body: Data
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    /// Body bytes received (`%{size_download}`); meaningful also with `discardBody`.
    var downloadedBytes: Int
    /// curl's own diagnostics (`-S`).
    var stderr: String
    /// Full argument list, for failure messages.
    var arguments: [String]

    /// First value of header `name`, case-insensitive.
    func header(named name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// All values of header `name`, case-insensitive, in wire order.
    func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var description: String {
        "curl exit \(exitCode), status \(status) (\(statusCodes)), \(headers.count) headers, \(downloadedBytes) body bytes, stderr: \(stderr.debugDescription), args: \(arguments)"
    }
}

/// Request body for `Curl.run`, always sent with `--data-binary @file` so bytes go out
/// exactly as given (no form encoding, no newline stripping).
enum CurlRequestBody: Sendable {
    case data(Data)
    case string(String)
    /// An existing file, e.g. a large generated one.
    case file(String)
}

/// Runs the real `/usr/bin/curl`: tests talk to pylon like users do.
///
/// Invariants of every invocation: `-q` (ignore ~/.curlrc), `--noproxy *` (a proxy in the
/// environment must not intercept loopback traffic), `-s -S`, headers dumped with `-D`, body
/// to a file with `-o`, status via `-w`, and a `--max-time` so no test can hang on curl.
enum Curl {
    static let executable = "/usr/bin/curl"

    /// - Parameters:
    ///   - method: `-X METHOD`; `"HEAD"` uses `-I` (curl would otherwise wait for a body).
    ///   - headers: extra request headers; an empty value sends an empty header (`Name;`).
    ///   - http10: `-0`, HTTP/1.0.
    ///   - discardBody: write the body to /dev/null (for huge downloads); `downloadedBytes`
    ///     still counts it.
    ///   - extraArguments: passed verbatim before the URL (e.g. `["--limit-rate", "1M"]`).
    static func run(
        _ url: String,
        method: String? = nil,
        headers: [(String, String)] = [],
        body: CurlRequestBody? = nil,
        http10: Bool = false,
        maxTime: Double = 10,
        discardBody: Bool = false,
        extraArguments: [String] = []
    ) throws -> CurlResult {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw CurlError.missing(executable)
        }
        let directory = try TemporaryDirectory.make(prefix: "pylon-curl")
        defer { TemporaryDirectory.remove(directory) }
        let headerFile = "\(directory)/headers"
        let bodyFile = discardBody ? "/dev/null" : "\(directory)/body"
        let stdoutFile = "\(directory)/stdout"
        let stderrFile = "\(directory)/stderr"

        var arguments = ["-q", "-s", "-S", "--noproxy", "*", "--max-time", String(maxTime),
                         "-D", headerFile, "-o", bodyFile,
                         "-w", "%{http_code} %{size_download}\\n"]
        if http10 { arguments.append("-0") }
        if let method {
            if method.uppercased() == "HEAD" { arguments.append("-I") } else { arguments += ["-X", method] }
        }
        for (name, value) in headers {
            arguments += ["-H", value.isEmpty ? "\(name);" : "\(name): \(value)"]
        }
        if let body {
            let path: String
            switch body {
            case .file(let file):
                path = file
            case .data(let data):
                path = "\(directory)/request-body"
                try data.write(to: URL(fileURLWithPath: path))
            case .string(let string):
                path = "\(directory)/request-body"
                try Data(string.utf8).write(to: URL(fileURLWithPath: path))
            }
            arguments += ["--data-binary", "@\(path)"]
        }
        arguments += extraArguments
        arguments.append(url)

        let child = try ChildProcess.spawn(
            executable: executable, arguments: arguments,
            stdoutPath: stdoutFile, stderrPath: stderrFile
        )
        // curl enforces --max-time itself; the margin only catches a wedged curl.
        let exit = child.waitForExit(timeout: maxTime + 10) ?? child.kill()

        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        let (statusCodes, statusLine, lastHeaders) = parseHeaderDump(headerText)
        let writeOut = ((try? String(contentsOfFile: stdoutFile, encoding: .utf8)) ?? "")
            .split(whereSeparator: \.isNewline).last.map { $0.split(separator: " ") } ?? []
        return CurlResult(
            exitCode: exit.code,
            status: writeOut.first.flatMap { Int($0) } ?? 0,
            statusCodes: statusCodes,
            statusLine: statusLine,
            headers: lastHeaders,
            body: discardBody || method?.uppercased() == "HEAD" ? Data() : (FileManager.default.contents(atPath: bodyFile) ?? Data()),
            downloadedBytes: writeOut.count > 1 ? Int(writeOut[1]) ?? 0 : 0,
            stderr: (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "",
            arguments: arguments
        )
    }

    /// Splits curl's `-D` dump (every response head of the transfer, each ending with an
    /// empty line) into the status codes of all heads and the last head's fields.
    static func parseHeaderDump(_ text: String) -> (statusCodes: [Int], statusLine: String, headers: [(name: String, value: String)]) {
        var statusCodes: [Int] = []
        var statusLine = ""
        var headers: [(name: String, value: String)] = []
        // Split on Character.isNewline: "\r\n" is ONE Swift Character, so splitting on "\n" would not split it.
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("HTTP/") {
                let parts = line.split(separator: " ")
                if parts.count >= 2, let code = Int(parts[1]) { statusCodes.append(code) }
                statusLine = String(line)
                headers = []
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        return (statusCodes, statusLine, headers)
    }
}

enum CurlError: Error, CustomStringConvertible {
    case missing(String)

    var description: String {
        switch self {
        case .missing(let path): return "\(path) not found: install curl (apt-get install curl)"
        }
    }
}
