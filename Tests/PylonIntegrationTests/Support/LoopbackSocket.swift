import Foundation
import Glibc

/// A non-blocking TCP socket connected to 127.0.0.1, driven with `poll(2)` so that every
/// operation has a timeout. Tests must never hang on a misbehaving proxy, so there is no
/// blocking call here without a deadline.
///
/// Not `Sendable`: a socket belongs to the one test thread that uses it.
final class LoopbackSocket {
    enum ReadResult: Equatable {
        case data([UInt8])
        /// Orderly shutdown by the peer (FIN).
        case endOfFile
        /// The peer reset the connection (RST), e.g. it closed with unread data.
        case reset
        case timedOut
    }

    private(set) var fd: CInt

    /// Connects to 127.0.0.1:`port`, failing after `timeout` seconds.
    init(connectingTo port: Int, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw LoopbackSocketError.system("socket", errno) }
        var address = Self.loopbackAddress(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                close()
                throw LoopbackSocketError.connect(port: port, code)
            }
            guard poll(events: Int16(POLLOUT), timeout: timeout) else {
                close()
                throw LoopbackSocketError.connectTimedOut(port: port)
            }
            var soError: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError != 0 {
                close()
                throw LoopbackSocketError.connect(port: port, soError)
            }
        }
        var one: CInt = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
    }

    deinit { close() }

    /// Sends every byte, waiting for buffer space up to `timeout` seconds in total.
    /// Uses MSG_NOSIGNAL: writing to a connection the proxy already closed must give
    /// EPIPE, not kill the test runner with SIGPIPE.
    func sendAll(_ bytes: [UInt8], timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            guard sent < 0, code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                throw LoopbackSocketError.system("send", code)
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, poll(events: Int16(POLLOUT), timeout: remaining) else {
                throw LoopbackSocketError.sendTimedOut(sent: offset, of: bytes.count)
            }
        }
    }

    /// Reads whatever is available (up to `maxBytes`), waiting up to `timeout` seconds.
    func read(maxBytes: Int = 65_536, timeout: Double) -> ReadResult {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, maxBytes, 0) }
            if count > 0 { return .data(Array(buffer[0..<count])) }
            if count == 0 { return .endOfFile }
            let code = errno
            if code == ECONNRESET { return .reset }
            if code != EAGAIN && code != EWOULDBLOCK && code != EINTR { return .reset }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 || !poll(events: Int16(POLLIN), timeout: remaining) { return .timedOut }
        }
    }

    /// Whether the peer has closed (FIN or RST) within `timeout` seconds, without consuming
    /// data. Pending unread data means "not closed (yet)".
    func peerHasClosed(timeout: Double) -> Bool {
        guard poll(events: Int16(POLLIN), timeout: timeout) else { return false }
        var byte: UInt8 = 0
        let count = Glibc.recv(fd, &byte, 1, Int32(MSG_PEEK))
        if count == 0 { return true }
        if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false
    }

    /// Half-closes: the peer reads EOF, we can still read its answer.
    func shutdownWrite() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes with SO_LINGER 0 so the peer sees a reset (RST) instead of a FIN.
    func resetAndClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// `poll(2)` for `events`, retrying on EINTR; true when ready before the timeout.
    private func poll(events: Int16, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let milliseconds = max(0, Int32((deadline.timeIntervalSinceNow * 1000).rounded(.up)))
            let result = Glibc.poll(&descriptor, 1, milliseconds)
            if result > 0 { return true }
            if result == 0 { return false }
            if errno != EINTR { return true }  // let the following syscall report the error
        }
    }

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: UInt32(0x7f00_0001).bigEndian)
        return address
    }
}

enum LoopbackSocketError: Error, CustomStringConvertible {
    case system(String, Int32)
    case connect(port: Int, Int32)
    case connectTimedOut(port: Int)
    case sendTimedOut(sent: Int, of: Int)

    var description: String {
        switch self {
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        case .connect(let port, let code): return "connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(code)))"
        case .connectTimedOut(let port): return "connect to 127.0.0.1:\(port) timed out"
        case .sendTimedOut(let sent, let total): return "send timed out after \(sent) of \(total) bytes"
        }
    }
}
