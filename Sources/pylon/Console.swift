#if canImport(Glibc)
import Glibc
#endif

/// Writes to a file descriptor directly and unbuffered: Swift 6 does not let the C
/// `stdout`/`stderr` streams be shared, and the access log writes fd 1 itself, so
/// anything printed must not sit in a buffer behind it.
enum Console {
    static func standardOutput(_ text: String) { self.write(text, to: 1) }
    static func standardError(_ text: String) { self.write(text, to: 2) }

    private static func write(_ text: String, to descriptor: CInt) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
