import Foundation
import Glibc
import NIOConcurrencyHelpers
import XCTest

/// A pylon started by a proxy test, and the port its one listener is on.
struct RunningProxy {
    let process: PylonProcess
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
}

/// The YAML of a one-listener gateway, with the knobs the proxy tests turn.
///
/// `upstreams` and `routes` are flow mappings written as in the file, e.g.
/// `("main", "{targets: [\"127.0.0.1:9001\"], read_timeout: 2s}")` and
/// `"{path_prefix: /, upstream: main}"`; routes are matched in order.
struct ProxyTestConfig {
    var upstreams: [(name: String, body: String)]
    var routes: [String]
    var limits = "{max_body: 1MiB, header_timeout: 1s, idle_timeout: 5s}"
    var forwarding = "{x_forwarded_for: true, x_forwarded_proto: true, via: true, preserve_host: true}"
    /// One event loop by default: upstream pools are per loop, so pooling is deterministic.
    var workers = 1
    var drainTimeout = "3s"
    /// `trusted_proxies` entries; nil writes no key (nobody's X-Forwarded-For is believed).
    var trustedProxies: [String]? = nil

    /// The usual setup: everything to `main` (the backend), `/dead` to a port nobody listens on.
    static func standard(backend: TestBackend, deadPort: Int, mainOptions: String = "connect_timeout: 1s, read_timeout: 2s") -> ProxyTestConfig {
        ProxyTestConfig(
            upstreams: [
                ("main", "{targets: [\"\(backend.address)\"], \(mainOptions)}"),
                ("dead", "{targets: [\"127.0.0.1:\(deadPort)\"], connect_timeout: 1s, retries: 0}"),
            ],
            routes: ["{path_prefix: /dead, upstream: dead}", "{path_prefix: /, upstream: main}"]
        )
    }

    func yaml(port: Int) -> String {
        var text = trustedProxies.map { "trusted_proxies: [" + $0.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n" } ?? ""
        text += """
            workers: \(workers)
            drain_timeout: \(drainTimeout)
            listeners:
              - {name: http, address: "127.0.0.1:\(port)"}
            upstreams:

            """
        for upstream in upstreams { text += "  \(upstream.name): \(upstream.body)\n" }
        text += "routes:\n"
        for route in routes { text += "  - \(route)\n" }
        text += """
            limits: \(limits)
            forwarding: \(forwarding)
            access_log: {enabled: true, format: logfmt}

            """
        return text
    }
}

extension IntegrationTestCase {
    /// Writes `config`, starts `pylon run` on a free port and waits until it accepts.
    func startProxy(_ config: ProxyTestConfig) throws -> RunningProxy {
        let port = try freePort()
        let path = try writeConfig(config.yaml(port: port))
        let process = try startPylon(["run", "-c", path, "--single-process"])
        try process.waitUntilAccepting(port: port)
        return RunningProxy(process: process, port: port)
    }

    /// `standard` config in front of `backend`.
    func startProxy(in front: TestBackend, mainOptions: String = "connect_timeout: 1s, read_timeout: 2s", configure: (inout ProxyTestConfig) -> Void = { _ in }) throws -> RunningProxy {
        var config = ProxyTestConfig.standard(backend: front, deadPort: try freePort(), mainOptions: mainOptions)
        configure(&config)
        return try startProxy(config)
    }
}

// MARK: - Access log

/// One logfmt access-log line, parsed: `key=value` or `key="quoted \"value\""`.
struct AccessLogLine: CustomStringConvertible {
    var fields: [String: String]
    var raw: String
    subscript(key: String) -> String? { fields[key] }
    var description: String { raw }

    init(_ line: String) {
        raw = line
        fields = [:]
        var index = line.startIndex
        while index < line.endIndex {
            while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
            guard let equals = line[index...].firstIndex(of: "=") else { break }
            let key = String(line[index..<equals])
            var cursor = line.index(after: equals)
            var value = ""
            if cursor < line.endIndex, line[cursor] == "\"" {
                cursor = line.index(after: cursor)
                while cursor < line.endIndex, line[cursor] != "\"" {
                    if line[cursor] == "\\", line.index(after: cursor) < line.endIndex {
                        cursor = line.index(after: cursor)
                    }
                    value.append(line[cursor])
                    cursor = line.index(after: cursor)
                }
                if cursor < line.endIndex { cursor = line.index(after: cursor) }
            } else {
                while cursor < line.endIndex, line[cursor] != " " {
                    value.append(line[cursor])
                    cursor = line.index(after: cursor)
                }
            }
            fields[key] = value
            index = cursor
        }
    }
}

extension PylonProcess {
    /// Every access-log line written so far.
    func accessLogLines() -> [AccessLogLine] {
        stdoutText().split(whereSeparator: \.isNewline).map { AccessLogLine(String($0)) }
    }

    /// Waits (the log is written by a thread of its own) for an access-log line matching
    /// `predicate`; nil if none appears within `timeout`.
    func waitForAccessLogLine(timeout: Double = 5, where predicate: (AccessLogLine) -> Bool) -> AccessLogLine? {
        var found: AccessLogLine?
        waitUntil(timeout: timeout, pollInterval: 0.02) {
            found = accessLogLines().first(where: predicate)
            return found != nil
        }
        return found
    }
}

// MARK: - Memory

/// Samples a process's resident set size (`VmRSS` of `/proc/PID/status`) on a thread of
/// its own every `interval` seconds, keeping the peak.
final class RSSSampler: Sendable {
    private struct State {
        var peakKiB = 0
        var samples = 0
        var stop = false
    }

    let pid: pid_t
    private let state = NIOLockedValueBox(State())
    private let done = ConditionLock(value: 0)

    /// VmRSS in KiB now, nil if the process is gone.
    static func residentKiB(of pid: pid_t) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // "VmRSS:\t  123456 kB"
            return Int(line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    init(pid: pid_t, interval: Double = 0.05) {
        self.pid = pid
        let thread = Thread { [self] in
            while !state.withLockedValue({ $0.stop }) {
                if let kib = Self.residentKiB(of: pid) {
                    state.withLockedValue { $0.peakKiB = max($0.peakKiB, kib); $0.samples += 1 }
                }
                Thread.sleep(forTimeInterval: interval)
            }
            done.lock()
            done.unlock(withValue: 1)
        }
        thread.start()
    }

    /// Stops sampling; returns the peak RSS in KiB and how many samples were taken.
    func stop() -> (peakKiB: Int, samples: Int) {
        state.withLockedValue { $0.stop = true }
        done.lock(whenValue: 1)
        done.unlock()
        return state.withLockedValue { ($0.peakKiB, $0.samples) }
    }
}

// MARK: - Raw upstreams

/// A hand-written HTTP/1.1 origin on a thread of its own, for upstream behaviour the NIO
/// `TestBackend` cannot produce (e.g. `103 Early Hints`). Each connection: read one request
/// head, send `response` verbatim, close.
final class ScriptedBackend: Sendable {
    let port: Int
    private let listener: CInt
    private let stopped = NIOLockedValueBox(false)
    private let heads = NIOLockedValueBox<[String]>([])
    var address: String { "127.0.0.1:\(port)" }
    /// The request heads received, as text.
    var receivedHeads: [String] { heads.withLockedValue { $0 } }

    init(response: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LoopbackSocketError.system("socket", errno) }
        var one: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        var address = LoopbackSocket.loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw LoopbackSocketError.system("bind/listen", code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve(response: response) }
        thread.start()
    }

    private func serve(response: [UInt8]) {
        while !stopped.withLockedValue({ $0 }) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while RawHTTPResponseParser.find([13, 10, 13, 10], in: received, from: 0) == nil {
                let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, 4096, 0) }
                guard count > 0 else { break }
                received += buffer[0..<count]
            }
            heads.withLockedValue { $0.append(String(decoding: received, as: UTF8.self)) }
            _ = response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            Glibc.shutdown(client, Int32(SHUT_WR))
            // Let the proxy read everything before the descriptor goes (no RST).
            while buffer.withUnsafeMutableBytes({ recv(client, $0.baseAddress, 4096, 0) }) > 0 {}
            Glibc.close(client)
        }
        Glibc.close(listener)
    }

    func shutdown() { stopped.withLockedValue { $0 = true } }
    deinit { stopped.withLockedValue { $0 = true } }
}

/// A listening socket that completes TCP handshakes (in the kernel) but never accepts, so
/// nothing ever reads what a connected client sends: once the socket buffers are full the
/// sender cannot write any more. An upstream that stalls mid-request.
final class NeverReadingListener {
    let port: Int
    private var fd: CInt

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LoopbackSocketError.system("socket", errno) }
        var address = LoopbackSocket.loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw LoopbackSocketError.system("bind/listen", code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

/// A listening socket that never accepts, created with backlog 0 and then filled: further
/// SYNs to it are dropped by the kernel, so a connect neither succeeds nor is refused —
/// it times out. The loopback stand-in for an unreachable host.
final class BlackHoleListener {
    let port: Int
    private var fds: [CInt] = []
    private var fillers: [LoopbackSocket] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LoopbackSocketError.system("socket", errno) }
        fds.append(fd)
        var address = LoopbackSocket.loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 0) == 0 else { throw LoopbackSocketError.system("bind/listen", errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        // Fill the accept queue; once it is full a connect hangs (and these throw).
        for _ in 0..<3 {
            if let socket = try? LoopbackSocket(connectingTo: port, timeout: 0.2) { fillers.append(socket) }
        }
    }

    /// Whether a connect to the port really times out (rather than failing or succeeding).
    func connectTimesOut(after seconds: Double = 0.3) -> Bool {
        do {
            let socket = try LoopbackSocket(connectingTo: port, timeout: seconds)
            fillers.append(socket)
            return false
        } catch LoopbackSocketError.connectTimedOut {
            return true
        } catch {
            return false
        }
    }

    func close() {
        for filler in fillers { filler.close() }
        fillers = []
        for fd in fds { Glibc.close(fd) }
        fds = []
    }

    deinit { close() }
}

// MARK: - Files and bytes

enum ProxyTestFiles {
    /// A sparse file of `size` zero bytes (no disk blocks written).
    static func makeSparseFile(at path: String, size: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw LoopbackSocketError.system("create \(path)", errno)
        }
        guard truncate(path, off_t(size)) == 0 else { throw LoopbackSocketError.system("truncate \(path)", errno) }
    }

    /// Offset of the first byte of `data` that breaks `BackendBodyPattern`, nil if it all
    /// follows it. Compares whole blocks with memcmp, so 256 MiB take well under a second
    /// even in a debug build.
    static func firstPatternMismatch(in data: Data) -> Int? {
        let period = BackendBodyPattern.period
        let block = BackendBodyPattern.bytes(count: period * 4096)
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int? in
            var offset = 0
            while offset < raw.count {
                let length = min(block.count, raw.count - offset)
                let equal = block.withUnsafeBytes { memcmp(raw.baseAddress! + offset, $0.baseAddress!, length) == 0 }
                if !equal {
                    // Rare: find the exact byte for the message.
                    for i in 0..<length where raw[offset + i] != block[i] { return offset + i }
                }
                offset += length
            }
            return nil
        }
    }
}

/// Request text helpers: every raw request spells out its CRLFs.
enum RawRequest {
    static func get(_ path: String, host: String = "pylon.test", headers: [String] = [], version: String = "HTTP/1.1") -> String {
        var text = "GET \(path) \(version)\r\n"
        if version == "HTTP/1.1" || !host.isEmpty { text += "Host: \(host)\r\n" }
        for header in headers { text += header + "\r\n" }
        return text + "\r\n"
    }
}
