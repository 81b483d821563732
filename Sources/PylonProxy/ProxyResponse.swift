public import NIOCore
public import NIOHTTP1

/// A complete response a phase answers with itself (auth failures, errors, redirects),
/// without going upstream.
public struct ProxyResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HeaderFields
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, headers: HeaderFields = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text response whose body is `text` followed by a newline.
    public static func text(_ status: HTTPResponseStatus, _ text: String, headers: HeaderFields = [:]) -> ProxyResponse {
        var headers = headers
        if !headers.contains(name: "content-type") {
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        }
        return ProxyResponse(status: status, headers: headers, body: ByteBuffer(string: text + "\n"))
    }

    /// The default error page: status line text, plain.
    public static func error(status: Int) -> ProxyResponse {
        let status = HTTPResponseStatus(statusCode: status)
        return .text(status, "\(status.code) \(status.reasonPhrase)")
    }
}
