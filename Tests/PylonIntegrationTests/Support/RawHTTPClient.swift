import Foundation

/// What came back on a raw connection.
struct RawResponse: Sendable {
    var bytes: [UInt8]
    var text: String { String(decoding: bytes, as: UTF8.self) }
    /// The peer closed (FIN or RST) before the read timeout.
    var closedByPeer: Bool
    /// The close was a reset (RST) — e.g. the proxy closed with unread request bytes.
    var resetByPeer: Bool
    /// Responses that parsed completely, in order.
    var responses: [RawHTTPResponse]
    /// Status code of every response seen: those parsed, then any further `HTTP/1.x NNN`
    /// status lines in the unparsable rest (e.g. a truncated last response).
    var statusCodes: [Int]
    /// The send failed part-way (typically EPIPE/ECONNRESET because the proxy rejected the
    /// request and closed early); what it answered before that is still in `bytes`.
    var sendError: String?
}

/// One-shot raw exchanges: connect, send bytes exactly as given, read until the peer closes
/// or the timeout passes. For request-smuggling, malformed-head and limit tests where curl
/// would "fix" the request for us.
enum RawHTTPClient {
    /// - Parameters:
    ///   - readTimeout: total seconds to wait for the peer to close after sending. A peer
    ///     that keeps the connection alive makes this call take the full timeout; use
    ///     `RawConnection` to read individual responses on a kept-alive connection.
    ///   - halfClose: shut down our write side after sending (the peer reads EOF).
    static func exchange(port: Int, send bytes: [UInt8], readTimeout: Double = 5, halfClose: Bool = false) throws -> RawResponse {
        let socket = try LoopbackSocket(connectingTo: port)
        defer { socket.close() }
        var sendError: String?
        do {
            try socket.sendAll(bytes)
        } catch {
            sendError = "\(error)"
        }
        if halfClose { socket.shutdownWrite() }

        var received: [UInt8] = []
        var closed = false
        var reset = false
        let deadline = Date().addingTimeInterval(readTimeout)
        reading: while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { break }
            switch socket.read(timeout: remaining) {
            case .data(let chunk): received += chunk
            case .endOfFile: closed = true; break reading
            case .reset: closed = true; reset = true; break reading
            case .timedOut: break reading
            }
        }
        let parsed = RawHTTPResponseParser.statusCodes(in: received, atEndOfStream: closed)
        return RawResponse(
            bytes: received, closedByPeer: closed, resetByPeer: reset,
            responses: parsed.responses, statusCodes: parsed.statusCodes, sendError: sendError
        )
    }

    /// `send` is sent as UTF-8 exactly as written: spell out every `\r\n`.
    static func exchange(port: Int, send text: String, readTimeout: Double = 5, halfClose: Bool = false) throws -> RawResponse {
        try exchange(port: port, send: Array(text.utf8), readTimeout: readTimeout, halfClose: halfClose)
    }
}
