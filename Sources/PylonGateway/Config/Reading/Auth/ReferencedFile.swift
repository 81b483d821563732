import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file that a config value names (`keys_file`, `users_file`, `secret_file`,
/// `public_key_file`), read while the config is loaded: in `pylon check` and at start-up,
/// never on an event loop, so every problem with it is a config error at that value's position.
struct ReferencedFile {
    /// The path as read: a relative path is taken relative to the config file's directory, so
    /// the config means the same wherever the gateway is started from.
    let path: String
    let text: String

    /// Anything bigger is not a key file; refusing it keeps a wrong path (a log, a device)
    /// from being read whole into memory.
    static let maximumBytes = 1 << 20

    /// Reads the file named by `node`; reports why not at `node` and returns nil when it cannot
    /// be read, is empty (or only whitespace), too big, or not UTF-8 text.
    static func read(from node: ConfigNode, expected: String) -> ReferencedFile? {
        guard let written = node.scalarText(expected: expected) else {
            return nil
        }
        let path = resolve(written, configFile: node.problems.file)
        // stat follows symlinks, as mounted secrets often are; anything but a regular file (a
        // FIFO, a terminal) could block the read forever, so it is refused unopened.
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            node.report("cannot read \(path): \(reason)")
            return nil
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            break
        case S_IFDIR:
            node.report("cannot read \(path): it is a directory")
            return nil
        default:
            node.report("cannot read \(path): it is not a regular file")
            return nil
        }
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            // One byte past the limit tells a file that is too big without reading all of it.
            data = try handle.read(upToCount: maximumBytes + 1) ?? Data()
        } catch {
            node.report("cannot read \(path): \(error.localizedDescription)")
            return nil
        }
        guard data.count <= maximumBytes else {
            node.report("\(path) is larger than 1 MiB, too big for a key file")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            node.report("\(path) is not UTF-8 text")
            return nil
        }
        guard text.contains(where: { !$0.isWhitespace }) else {
            node.report("\(path) is empty")
            return nil
        }
        return ReferencedFile(path: path, text: text)
    }

    /// `written` as given when absolute, else relative to the directory of `configFile` (which
    /// is the path the config was loaded from, itself relative to the working directory).
    static func resolve(_ written: String, configFile: String) -> String {
        guard !written.hasPrefix("/"), let slash = configFile.lastIndex(of: "/") else {
            return written
        }
        return String(configFile[...slash]) + written
    }

    /// The lines that say something, with their 1-based numbers: surrounding spaces and tabs
    /// trimmed, blank lines and `#` comment lines left out. Any line break counts (LF, CRLF, CR).
    var entries: [(number: Int, text: String)] {
        var entries: [(number: Int, text: String)] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            entries.append((index + 1, trimmed))
        }
        return entries
    }

    /// The whole text without the line breaks at its end: a secret written with `echo` ends in
    /// one, which is not part of it.
    var textWithoutTrailingLineBreaks: Substring {
        var text = Substring(text)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
