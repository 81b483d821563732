#if canImport(Glibc)
import Glibc
#endif

/// The client side of the master's control socket, for `pylon reload`.
public enum ControlClient {
    public enum Outcome: Sendable, Equatable {
        case succeeded(String)
        case failed(String)
    }

    /// Sends `command` (`reload`, `status`) and waits up to `timeoutSeconds` for the answer line.
    public static func send(_ command: String, socketPath: String, timeoutSeconds: Double) -> Outcome {
        let fd: Int32
        do {
            fd = try ControlSocket.connect(path: socketPath)
        } catch {
            return .failed("cannot reach the pylon master: \(error) (is `pylon run` running with this --control-socket?)")
        }
        defer { close(fd) }
        do {
            try Descriptors.writeAll(fd, Array((command + "\n").utf8))
        } catch {
            return .failed("cannot send to the pylon master: \(error)")
        }
        let deadline = MonotonicClock.now() + UInt64(timeoutSeconds * 1e9)
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else { return .failed("no answer from the pylon master after \(Int(timeoutSeconds)) s") }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min((deadline - now) / 1_000_000, 1000)))
            if ready < 0 && errno != EINTR { return .failed("poll: \(SystemError("poll"))") }
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            collected += buffer[0..<count]
            if collected.contains(UInt8(ascii: "\n")) { break }
        }
        let line = String(decoding: collected, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        if line.hasPrefix("ok") { return .succeeded(line) }
        if line.isEmpty { return .failed("the pylon master closed the connection without an answer") }
        return .failed(line)
    }
}
