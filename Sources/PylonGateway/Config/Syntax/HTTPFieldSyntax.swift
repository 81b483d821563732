/// What RFC 9110 allows in header field names and values.
///
/// Checked at load time so a typo in the config is reported with its position instead of
/// producing a malformed request on the wire at run time.
enum HTTPFieldSyntax {
    /// `tchar` from RFC 9110 §5.6.2, besides letters and digits.
    private static let tokenSymbols: Set<Character> = [
        "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~",
    ]

    /// A header name is a `token`: one or more visible ASCII characters, no separators.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || tokenSymbols.contains($0)) }
    }

    /// A header value may hold visible characters, spaces and tabs but no control characters:
    /// a CR or LF would end the header early and let the rest be read as another header.
    static func isFieldValue(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0x7F)
        }
    }
}
