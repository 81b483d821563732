import CPylon
#if canImport(Glibc)
import Glibc
#endif

/// Small helpers over raw descriptors; the supervisor deals in plain fds because they
/// cross `exec` and SCM_RIGHTS.
enum Descriptors {
    static func setCloseOnExec(_ fd: CInt, _ on: Bool) throws {
        if pylon_set_cloexec(fd, on ? 1 : 0) != 0 { throw SystemError("fcntl(F_SETFD)") }
    }

    static func setNonBlocking(_ fd: CInt) throws {
        let flags = fcntl(fd, F_GETFL)
        if flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 { throw SystemError("fcntl(O_NONBLOCK)") }
    }

    static func isOpen(_ fd: CInt) -> Bool { fcntl(fd, F_GETFD) >= 0 }

    /// Writes all of `bytes` (blocking descriptor) — for short replies and state files.
    static func writeAll(_ fd: CInt, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == ENOTSOCK {
                    let plain = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                    if plain < 0 { if errno == EINTR { continue }; throw SystemError("write") }
                    offset += plain
                    continue
                }
                throw SystemError("send")
            }
            offset += written
        }
    }

    /// Reads until EOF (a pipe or memfd positioned at 0).
    static func readAll(_ fd: CInt, limit: Int = 16 << 20) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read")
            }
            if count == 0 { break }
            result += buffer[0..<count]
        }
        return result
    }
}

/// CLOCK_MONOTONIC in nanoseconds: comparable across `exec` of the same process (unlike
/// `ContinuousClock.Instant`, which cannot be serialised), so deadlines survive an upgrade.
public enum MonotonicClock {
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// Calls `body` with a NULL-terminated `char *[]` built from `strings`.
func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}

/// The process environment as `KEY=value` strings.
func currentEnvironment() -> [String] {
    var result: [String] = []
    var pointer = environ
    while let entry = pointer.pointee {
        result.append(String(cString: entry))
        pointer += 1
    }
    return result
}
