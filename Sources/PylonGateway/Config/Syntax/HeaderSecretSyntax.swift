/// Secrets that arrive in a request header (shared secrets, API keys): the text must be a value
/// a header can carry unchanged, or it could never match.
///
/// Messages never quote the secret: `pylon check` output ends up in CI logs.
enum HeaderSecretSyntax {
    /// `what` names the value in messages, e.g. "the secret" or "the key".
    static func parse(_ text: String, what: String) throws(ValueSyntaxError) -> String {
        guard HTTPFieldSyntax.isFieldValue(text) else {
            throw ValueSyntaxError("\(what) contains control characters, which a header value cannot carry")
        }
        guard text.first != " ", text.first != "\t", text.last != " ", text.last != "\t" else {
            throw ValueSyntaxError(
                "\(what) starts or ends with whitespace, which HTTP strips from header values, so it could never match"
            )
        }
        return text
    }
}
