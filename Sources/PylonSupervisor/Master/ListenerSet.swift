import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The listening sockets the master holds. It binds them (or adopts systemd's), hands
/// copies to every worker, and never accepts on them or `shutdown()`s them; a socket is
/// closed only when no generation uses it any more (a listener removed from the config).
struct ListenerSet: Sendable, Codable, Equatable {
    struct Entry: Sendable, Codable, Equatable {
        var key: String
        var name: String
        var fd: Int32
    }

    private(set) var entries: [Entry] = []

    func entry(key: String) -> Entry? { self.entries.first { $0.key == key } }

    var descriptors: [Int32] { self.entries.map(\.fd) }

    /// Makes sure every listener of `settings` is open — reusing a socket held under the same
    /// name and address, taking one of systemd's by name, or binding a new one — and returns
    /// their keys in order. Sockets opened here are closed again if a later one fails.
    mutating func open(
        _ listeners: [SupervisorSettings.Listener], activated: inout [String: Int32], logger: Logger
    ) throws -> [String] {
        var opened: [Int32] = []
        var keys: [String] = []
        do {
            for listener in listeners {
                keys.append(listener.key)
                if self.entry(key: listener.key) != nil { continue }
                let fd: Int32
                if let inherited = activated.removeValue(forKey: listener.name) {
                    fd = inherited
                    logger.info("adopted listener from systemd", metadata: ["listener": "\(listener.name)", "fd": "\(fd)"])
                } else {
                    fd = try Self.bind(listener)
                    opened.append(fd)
                    logger.info("bound listener", metadata: ["listener": "\(listener.name)", "address": "\(listener.host):\(listener.port)"])
                }
                self.entries.append(Entry(key: listener.key, name: listener.name, fd: fd))
            }
        } catch {
            for fd in opened {
                self.entries.removeAll { $0.fd == fd }
                Glibc.close(fd)
            }
            throw error
        }
        return keys
    }

    /// Closes every socket whose key is not in `inUse`.
    mutating func close(keeping inUse: Set<String>, logger: Logger) {
        for entry in self.entries where !inUse.contains(entry.key) {
            logger.info("closed listener no generation uses", metadata: ["listener": "\(entry.key)"])
            Glibc.close(entry.fd)
        }
        self.entries.removeAll { !inUse.contains($0.key) }
    }

    /// `socket` + SO_REUSEADDR + `bind` + `listen(backlog)`, close-on-exec.
    static func bind(_ listener: SupervisorSettings.Listener) throws -> Int32 {
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        if listener.host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(listener.port).bigEndian)
            guard inet_pton(AF_INET6, listener.host, &address.sin6_addr) == 1 else {
                throw ListenerError.notNumeric(listener.host)
            }
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: withUnsafeBytes(of: address) { Array($0) }) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(listener.port).bigEndian)
            guard inet_pton(AF_INET, listener.host, &address.sin_addr) == 1 else {
                throw ListenerError.notNumeric(listener.host)
            }
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: withUnsafeBytes(of: address) { Array($0) }) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = SystemError("bind \(listener.host):\(listener.port) (\(listener.name))")
            Glibc.close(fd)
            throw error
        }
        guard listen(fd, Int32(clamping: listener.backlog)) == 0 else {
            let error = SystemError("listen \(listener.name)")
            Glibc.close(fd)
            throw error
        }
        return fd
    }
}

enum ListenerError: Error, CustomStringConvertible {
    case notNumeric(String)

    var description: String { "listener address \(host.debugDescription) is not a numeric IP address" }

    private var host: String {
        switch self { case .notNumeric(let host): return host }
    }
}
