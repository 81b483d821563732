/// A field name checked once to be a token (RFC 9110 §5.1), for a phase that adds or
/// replaces the same field on every exchange (a request ID, a configured header).
///
/// `HeaderFields.add(name:value:)` must check a String name each time, or a name holding a
/// CR or a colon would break the head it goes into. A name checked where it was configured
/// skips that on the hot path, and its bytes are reached without copying the String.
public struct HeaderFieldName: Sendable, Equatable, CustomStringConvertible {
    /// The name as given, case kept.
    public let string: String

    /// `name` if it is a token; nil otherwise.
    public init?(_ name: String) {
        var name = name
        // Native and contiguous, so `withBytes` never has to copy it.
        name.makeContiguousUTF8()
        guard name.utf8.withContiguousStorageIfAvailable({ HTTPToken.isToken(UnsafeRawBufferPointer($0)) }) == true
        else { return nil }
        self.string = name
    }

    public var description: String { self.string }

    /// Equal when the names are the same ignoring ASCII case, as fields compare.
    public static func == (lhs: HeaderFieldName, rhs: HeaderFieldName) -> Bool {
        lhs.withBytes { left in rhs.withBytes { right in FieldName.equalIgnoringCase(left, right) } }
    }

    @inline(__always)
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let result = self.string.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        // Not reached: `init` made the String contiguous, and a copy of it stays so.
        var string = self.string
        return string.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
