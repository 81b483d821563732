import Foundation
import Glibc

/// A unix datagram socket standing in for systemd's notification socket: start pylon with
/// `environment: notify.environment` and assert on what it reports (`READY=1`,
/// `RELOADING=1`, `MAINPID=…`, `STOPPING=1`, `STATUS=…`).
///
/// Not `Sendable`: owned by the test thread.
final class NotifySocket {
    let path: String
    private var fd: CInt
    /// Every datagram received so far, in order.
    private(set) var messages: [String] = []

    /// Binds `<directory>/notify.sock` (keep the directory short: sun_path is 108 bytes).
    init(directory: String) throws {
        path = "\(directory)/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw LoopbackSocketError.system("socket(AF_UNIX)", errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw LoopbackSocketError.system("NotifySocket path too long: \(path)", ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw LoopbackSocketError.system("bind \(path)", code)
        }
    }

    deinit { close() }

    /// `NOTIFY_SOCKET=<path>` for the child's environment.
    var environment: [String: String] { ["NOTIFY_SOCKET": path] }

    /// Receives pending datagrams, waiting up to `timeout` for the first; returns the new ones.
    @discardableResult
    func receive(timeout: Double) -> [String] {
        var received: [String] = []
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(max(0, timeout * 1000))) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
        messages += received
        return received
    }

    /// Waits until some datagram contains `text` (e.g. "READY=1"). Throws with everything
    /// received so far on timeout.
    func waitForMessage(containing text: String, timeout: Double = 10) throws {
        let found = waitUntil(timeout: timeout, pollInterval: 0) {
            receive(timeout: 0.05)
            return messages.contains { $0.contains(text) }
        }
        guard found else { throw NotifySocketError.notReceived(text, messages: messages) }
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
            unlink(path)
        }
    }
}

enum NotifySocketError: Error, CustomStringConvertible {
    case notReceived(String, messages: [String])

    var description: String {
        switch self {
        case .notReceived(let text, let messages): return "no notification containing \(text.debugDescription); received: \(messages)"
        }
    }
}
