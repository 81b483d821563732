import Foundation
import Glibc

/// Fresh private directories under the system temp dir (`mkdtemp`, mode 0700).
enum TemporaryDirectory {
    static func make(prefix: String = "pylon-itest") throws -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw LoopbackSocketError.system("mkdtemp", errno)
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
