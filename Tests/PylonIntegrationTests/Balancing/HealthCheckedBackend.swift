import Foundation
import Glibc
import XCTest

/// An origin for health-check tests: CPython's `http.server` as a child process on a port
/// that survives a kill, so a test can SIGKILL it and start it again on the same port.
///
/// `GET /healthz` answers `healthStatus` and is logged to stderr as `HEALTH` — one line per
/// probe, which is how tests count health-check traffic. Every other `GET` answers 200
/// with body `name\n` and `X-Backend: name`.
struct HealthCheckedBackend {
    let name: String
    let port: Int
    let process: PylonProcess
    var address: String { "127.0.0.1:\(port)" }

    /// Health probes received so far (this process only; a restart starts from zero).
    var healthChecks: Int {
        process.stderrText().split(separator: "\n").filter { $0 == "HEALTH" }.count
    }

    static let script = #"""
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    NAME, PORT, HEALTH_STATUS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path == "/healthz":
                sys.stderr.write("HEALTH\n")
                sys.stderr.flush()
                self.send_response(HEALTH_STATUS)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = (NAME + "\n").encode()
            self.send_response(200)
            self.send_header("X-Backend", NAME)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()
    """#

    /// SIGKILLs the backend: no FIN for the connections it held, like a crashed host.
    func kill() {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: 5)
    }
}

extension IntegrationTestCase {
    /// Starts a `HealthCheckedBackend` on `port` (0: any free port) and waits until it accepts.
    func startHealthCheckedBackend(name: String, port: Int = 0, healthStatus: Int = 200) throws -> HealthCheckedBackend {
        let (process, boundPort) = try self.startPythonServer(
            HealthCheckedBackend.script, file: "health-checked-backend.py", arguments: [name, String(port), String(healthStatus)],
            label: "python-\(name)"
        )
        return HealthCheckedBackend(name: name, port: boundPort, process: process)
    }
}
