import Foundation
import Glibc
import XCTest

/// A graceful drain closes idle TLS keep-alive connections with close_notify before the
/// FIN, so clients see a clean end of the TLS stream, not a truncation.
final class TLSDrainTests: TLSTestCase {
    /// Holds one kept-alive HTTPS connection after a request, then reports how it ended:
    /// `suppress_ragged_eofs=False` makes a FIN without close_notify an error.
    private static let idleClientScript = #"""
    import socket, ssl, sys
    port, ca, host = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    context = ssl.create_default_context(cafile=ca)
    connection = context.wrap_socket(
        socket.create_connection(("127.0.0.1", port)), server_hostname=host, suppress_ragged_eofs=False)
    connection.sendall(("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += connection.recv(4096)
    print("response " + head.split(b"\r\n")[0].decode(), flush=True)
    connection.settimeout(30)
    try:
        rest = connection.recv(4096)
        print("closed with close_notify" if rest == b"" else "unexpected data %r" % rest, flush=True)
    except ssl.SSLEOFError:
        print("closed without close_notify", flush=True)
    except Exception as error:
        print("error %r" % error, flush=True)
    """#

    func testADrainClosesAnIdleTLSConnectionWithCloseNotify() throws {
        let backend = try startBackend()
        let authority = try certificateAuthority()
        _ = try authority.issue(commonName: "Pylon A", dnsNames: ["a.test"], fileName: "a")
        let gateway = try startTLSGateway(
            tls: "certificates: [{cert: a.pem, key: a.key}]", body: "drain_timeout: 2s\n" + routeEverything(to: backend)
        )
        let scriptPath = "\(try testDirectory())/idle-tls-client.py"
        try Data(Self.idleClientScript.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let client = try startProcess(
            executable: "python3",
            arguments: ["-u", scriptPath, String(gateway.port), authority.certificatePath, "a.test"],
            label: "idle-tls-client"
        )
        try client.waitForLog(containing: "response HTTP/1.1 200")

        gateway.process.signal(SIGQUIT)
        try client.waitForLog(containing: "closed ", timeout: 10)
        XCTAssertTrue(client.stdoutText().contains("closed with close_notify"), client.logTail())
        XCTAssertEqual(gateway.process.waitForExit(timeout: 10), 0, gateway.process.logTail())
    }
}
