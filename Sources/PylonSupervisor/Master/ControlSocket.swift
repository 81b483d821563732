#if canImport(Glibc)
import Glibc
#endif

/// The master's unix stream socket that `pylon reload` (and `systemctl reload` through
/// it) talks to. One request line per connection — `reload` or `status` — answered
/// with one line: `ok …`, `busy …` or `failed: …`. A `reload` is answered when the
/// upgrade has finished, which may be after the master re-exec'd (the connection is one
/// of the descriptors the new master inherits).
enum ControlSocket {
    /// Binds `path` (replacing a stale socket file nobody answers on), close-on-exec,
    /// non-blocking, mode 0660.
    static func bind(path: String) throws -> Int32 {
        if Self.someoneIsListening(at: path) { throw ControlSocketError.inUse(path) }
        unlink(path)
        Self.createParentDirectory(of: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket(AF_UNIX)") }
        do {
            var address = try Self.address(path)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw SystemError("bind \(path)") }
            chmod(path, 0o660)
            guard listen(fd, 16) == 0 else { throw SystemError("listen \(path)") }
            return fd
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Outside systemd (which makes RuntimeDirectory=) the default `/run/pylon` may not
    /// exist yet: create it, owner-only. A failure shows up as bind's error.
    private static func createParentDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let directory = String(path[..<slash])
        var isDirectory = stat()
        if stat(directory, &isDirectory) == 0 { return }
        mkdir(directory, 0o750)
    }

    static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw ControlSocketError.pathTooLong(path) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }

    /// Connects to `path`; the descriptor is blocking and close-on-exec.
    static func connect(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket(AF_UNIX)") }
        var address = try Self.address(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let error = SystemError("connect \(path)")
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    static func someoneIsListening(at path: String) -> Bool {
        guard let fd = try? Self.connect(path: path) else { return false }
        Glibc.close(fd)
        return true
    }

    /// Reads one request line from a freshly accepted client, waiting up to a second.
    static func readRequest(_ fd: Int32) -> String? {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while collected.count < 256 {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 1000) > 0 else { return nil }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            collected += buffer[0..<count]
            if collected.contains(UInt8(ascii: "\n")) { break }
        }
        let line = String(decoding: collected, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        return line.trimmingCharactersInSet()
    }

    /// Sends `line` and closes the connection.
    static func reply(_ fd: Int32, _ line: String) {
        try? Descriptors.writeAll(fd, Array((line + "\n").utf8))
        Glibc.close(fd)
    }
}

extension String {
    fileprivate func trimmingCharactersInSet() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

public enum ControlSocketError: Error, CustomStringConvertible {
    case inUse(String)
    case pathTooLong(String)

    public var description: String {
        switch self {
        case .inUse(let path): return "another pylon master is listening on \(path)"
        case .pathTooLong(let path): return "control socket path too long: \(path)"
        }
    }
}
