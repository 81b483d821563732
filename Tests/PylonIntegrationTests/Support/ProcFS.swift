import Foundation
import Glibc

/// Read-only views of `/proc` for the assertions DESIGN §7 asks of integration tests:
/// process trees (no orphans after shutdown or upgrade) and descriptor counts (no leaks).
enum ProcFS {
    /// Fields of `/proc/PID/stat` we use. `nil` when the process does not exist.
    struct Stat: Equatable {
        var pid: pid_t
        var command: String
        /// R, S, D, Z, T, …
        var state: Character
        var parentPID: pid_t
        var processGroup: pid_t
        var session: pid_t
    }

    static func stat(of pid: pid_t) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        // comm may contain spaces and parentheses: it is everything between the first "("
        // and the last ")".
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 4, let state = fields[0].first,
              let parent = pid_t(fields[1]), let group = pid_t(fields[2]), let session = pid_t(fields[3]) else { return nil }
        return Stat(pid: pid, command: String(text[text.index(after: open)..<close]), state: state,
                    parentPID: parent, processGroup: group, session: session)
    }

    /// Every process visible in /proc right now.
    static func allStats() -> [Stat] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.compactMap { stat(of: $0) }
    }

    /// Live (non-zombie) process exists.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = stat(of: pid) else { return false }
        return stat.state != "Z"
    }

    static func children(of pid: pid_t) -> [pid_t] {
        allStats().filter { $0.parentPID == pid }.map(\.pid)
    }

    /// Children, grandchildren, … (one /proc scan).
    static func descendants(of pid: pid_t) -> [pid_t] {
        let all = allStats()
        var result: [pid_t] = []
        var frontier = [pid]
        while let parent = frontier.popLast() {
            let kids = all.filter { $0.parentPID == parent }.map(\.pid)
            result += kids
            frontier += kids
        }
        return result
    }

    /// Live members of process group `group` (a pylon master's group holds its workers
    /// unless they moved; orphans of a dead master still show up here).
    static func processes(inGroup group: pid_t) -> [pid_t] {
        allStats().filter { $0.processGroup == group && $0.state != "Z" }.map(\.pid)
    }

    /// Open descriptors of `pid`: fd number → link target (`socket:[123]`, `/dev/null`, …).
    static func openFileDescriptors(of pid: pid_t) -> [Int32: String] {
        let directory = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [Int32: String] = [:]
        for entry in entries {
            guard let fd = Int32(entry) else { continue }
            result[fd] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(entry)")) ?? "?"
        }
        return result
    }
}
