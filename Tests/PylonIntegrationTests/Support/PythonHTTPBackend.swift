import Foundation

/// An origin server that is not SwiftNIO: CPython's `http.server` (HTTP/1.1, keep-alive,
/// threaded). Catches proxy behaviour that only works because both sides share NIO's quirks.
///
/// `GET` (any path) → 200 `name\n` with `X-Backend: name`; `POST`/`PUT` → 200 echoing the
/// Content-Length body. It runs as a child process registered with the test's janitor.
struct PythonHTTPBackend: Sendable {
    let name: String
    let port: Int
    let process: PylonProcess
    var address: String { "127.0.0.1:\(port)" }
    var url: String { "http://127.0.0.1:\(port)" }

    static let script = #"""
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    NAME = sys.argv[1]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, body):
            self.send_response(200)
            self.send_header("X-Backend", NAME)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            self.reply((NAME + "\n").encode())

        do_HEAD = do_GET

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.reply(self.rfile.read(length))

        do_PUT = do_POST
    """# + PythonServerScript.serveHandler
}

/// The end of a Python backend script whose request handler class is `Handler`: logs each
/// request to stderr (the test's log tail) and serves on a free loopback port, printing
/// that port the one way `startPythonServer` reads it.
enum PythonServerScript {
    static let serveHandler = #"""

    def log_to_stderr(self, format, *args):
        sys.stderr.write("%s\n" % (format % args))
        sys.stderr.flush()

    Handler.log_message = log_to_stderr
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()

    """#
}

extension IntegrationTestCase {
    /// Starts a `PythonHTTPBackend` and waits until it accepts connections.
    func startPythonBackend(name: String = "python", python: String = "python3") throws -> PythonHTTPBackend {
        let (process, port) = try self.startPythonServer(
            PythonHTTPBackend.script, file: "python-backend.py", arguments: [name], python: python, label: "python-\(name)"
        )
        return PythonHTTPBackend(name: name, port: port, process: process)
    }

    /// Runs `script` (a Python server that prints `listening on <port>` once it listens,
    /// as `PythonServerScript.serveHandler` does) and waits until it accepts connections on
    /// that port.
    func startPythonServer(
        _ script: String, file: String, arguments: [String] = [], python: String = "python3", label: String
    ) throws -> (process: PylonProcess, port: Int) {
        let scriptPath = "\(try testDirectory())/\(file)"
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let process = try startProcess(executable: python, arguments: ["-u", scriptPath] + arguments, label: label)
        try process.waitForLog(containing: "listening on ", timeout: 10)
        let line = process.stdoutText().split(whereSeparator: \.isNewline).first { $0.hasPrefix("listening on ") } ?? ""
        guard let port = Int(line.dropFirst("listening on ".count)) else {
            throw PylonProcessError.logNotSeen("listening on <port>", process: process.description, exit: process.exitStatus, logs: process.logTail())
        }
        try process.waitUntilAccepting(port: port)
        return (process, port)
    }
}
