#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which one, and errno.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public var operation: String
    public var code: Int32

    public init(_ operation: String, code: Int32? = nil) {
        self.operation = operation
        self.code = code ?? errno
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
