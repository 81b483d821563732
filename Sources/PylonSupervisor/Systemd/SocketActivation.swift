import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// systemd socket activation: the listening sockets systemd passed (`LISTEN_FDS`,
/// `LISTEN_PID`, `LISTEN_FDNAMES`), by name. Reading them unsets those variables, so
/// nothing spawned later (workers, a re-exec) sees them again; the sockets are made
/// close-on-exec like everything else the master holds.
enum SocketActivation {
    static func takeListeners() -> [String: Int32] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [:] }
        var result: [String: Int32] = [:]
        for offset in 0..<Int(count) {
            let fd = SD_LISTEN_FDS_START + Int32(offset)
            let name = names?[offset].map { String(cString: $0) } ?? "fd\(offset)"
            _ = try? Descriptors.setCloseOnExec(fd, true)
            result[name] = fd
        }
        if let names {
            for offset in 0..<Int(count) { free(names[offset]) }
            free(names)
        }
        return result
    }
}
