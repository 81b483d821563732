import Glibc
import NIOConcurrencyHelpers

/// Hands out TCP ports on 127.0.0.1 that were free a moment ago.
///
/// The kernel picks the port (bind to port 0, read it back, close). There is an unavoidable
/// window between closing the probe and pylon binding the port; to keep at least this
/// process from racing itself, a port is never handed out twice per test run.
enum FreePort {
    private static let handedOut = NIOLockedValueBox<Set<Int>>([])

    static func next() throws -> Int {
        for _ in 0..<100 {
            let port = try probe()
            let isNew = handedOut.withLockedValue { $0.insert(port).inserted }
            if isNew { return port }
        }
        throw LoopbackSocketError.system("FreePort: no new free port after 100 probes", EADDRINUSE)
    }

    /// Binds a listening socket to 127.0.0.1:0 and returns the port the kernel chose.
    /// The socket listens briefly so the chosen port is really usable for listening, and is
    /// closed before returning (a never-accepted listener leaves no TIME_WAIT behind).
    private static func probe() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LoopbackSocketError.system("socket", errno) }
        defer { close(fd) }
        var address = LoopbackSocket.loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw LoopbackSocketError.system("bind", errno) }
        guard listen(fd, 1) == 0 else { throw LoopbackSocketError.system("listen", errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw LoopbackSocketError.system("getsockname", errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
