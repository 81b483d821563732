import Foundation

/// An origin that reports what it received of a request body, trailer fields included:
/// a few lines of Python reading the chunked framing off the socket themselves (neither
/// NIO nor `http.server`, which reads no chunked bodies), so the check is independent of
/// the proxy's own writer and parser.
///
/// Every request → 200 with a JSON `Report`: the framing fields of the head, the body, and
/// the trailer section's fields as sent. Keep-alive, threaded; a child process registered
/// with the test's janitor.
struct TrailerEchoBackend: Sendable {
    /// What the backend got.
    struct Report: Codable, Equatable {
        var method: String
        var transferEncoding: String?
        var contentLength: String?
        var body: String
        /// `[name, value]` pairs in order, names as sent.
        var trailers: [[String]]
    }

    let port: Int
    let process: PylonProcess
    var address: String { "127.0.0.1:\(port)" }

    static let script = #"""
    import json, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def line(self):
            line = self.rfile.readline(65537)
            if not line.endswith(b"\r\n"):
                raise ValueError("line not ended by CRLF: %r" % line)
            return line[:-2]

        def read_chunked(self):
            body, trailers = b"", []
            while True:
                size = int(self.line().split(b";", 1)[0], 16)
                if size == 0:
                    break
                body += self.rfile.read(size)
                if self.rfile.read(2) != b"\r\n":
                    raise ValueError("chunk data not followed by CRLF")
            while True:
                field = self.line()
                if not field:
                    return body, trailers
                name, colon, value = field.decode("latin-1").partition(":")
                if not colon:
                    raise ValueError("bad trailer line: %r" % field)
                trailers.append([name, value.strip(" \t")])

        def do_POST(self):
            coding = self.headers.get("Transfer-Encoding")
            length = self.headers.get("Content-Length")
            if coding is not None and coding.lower() == "chunked":
                body, trailers = self.read_chunked()
            else:
                body, trailers = self.rfile.read(int(length or 0)), []
            report = json.dumps({
                "method": self.command, "transferEncoding": coding, "contentLength": length,
                "body": body.decode("latin-1"), "trailers": trailers,
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(report)))
            self.end_headers()
            self.wfile.write(report)

        do_PUT = do_POST
    """# + PythonServerScript.serveHandler
}

extension IntegrationTestCase {
    /// Starts a `TrailerEchoBackend` and waits until it accepts connections.
    func startTrailerEchoBackend() throws -> TrailerEchoBackend {
        let (process, port) = try self.startPythonServer(TrailerEchoBackend.script, file: "trailer-echo-backend.py", label: "trailer-echo")
        return TrailerEchoBackend(port: port, process: process)
    }
}
