import Foundation

/// A persistent raw connection: send requests (pipelined or not) and read responses one at a
/// time, each framed exactly by Content-Length / chunked encoding. Lets tests prove
/// keep-alive ("the second request reused the connection") and "answer with
/// `Connection: close`, then really close".
///
/// Not `Sendable`: owned by one test thread.
final class RawConnection {
    private let socket: LoopbackSocket
    /// Bytes received but not yet returned as part of a response (pipelined responses).
    private(set) var buffered: [UInt8] = []
    private var sawEndOfStream = false
    let port: Int

    init(port: Int, connectTimeout: Double = 5) throws {
        self.port = port
        socket = try LoopbackSocket(connectingTo: port, timeout: connectTimeout)
    }

    func send(_ bytes: [UInt8]) throws { try socket.sendAll(bytes) }

    /// Sent as UTF-8 exactly as written: spell out every `\r\n`.
    func send(_ text: String) throws { try socket.sendAll(Array(text.utf8)) }

    /// Reads exactly one response (an interim 1xx counts as one). `requestMethod` matters
    /// only for HEAD, whose response has no body whatever its headers say.
    func readResponse(timeout: Double = 5, requestMethod: String = "GET") throws -> RawHTTPResponse {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !buffered.isEmpty || sawEndOfStream {
                switch RawHTTPResponseParser.parse(buffered, requestMethod: requestMethod, atEndOfStream: sawEndOfStream) {
                case .complete(let response, let consumed):
                    buffered.removeFirst(consumed)
                    return response
                case .invalid(let reason):
                    throw RawConnectionError.invalidResponse(reason, received: buffered)
                case .needMoreBytes:
                    if sawEndOfStream { throw RawConnectionError.closedByPeer(received: buffered) }
                }
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw RawConnectionError.timedOut(received: buffered) }
            switch socket.read(timeout: remaining) {
            case .data(let chunk): buffered += chunk
            case .endOfFile, .reset: sawEndOfStream = true
            case .timedOut: throw RawConnectionError.timedOut(received: buffered)
            }
        }
    }

    /// Waits until at least one byte beyond what is already buffered arrives (or `timeout`),
    /// and returns everything received but not yet consumed by `readResponse` — without
    /// consuming it. For streaming tests: "the head arrived before the body finished".
    func peekReceived(timeout: Double = 1) -> [UInt8] {
        if !sawEndOfStream {
            switch socket.read(timeout: timeout) {
            case .data(let chunk): buffered += chunk
            case .endOfFile, .reset: sawEndOfStream = true
            case .timedOut: break
            }
        }
        return buffered
    }

    /// Reads responses until a final (non-1xx) one, returning it.
    func readFinalResponse(timeout: Double = 5, requestMethod: String = "GET") throws -> RawHTTPResponse {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let response = try readResponse(timeout: max(0, deadline.timeIntervalSinceNow), requestMethod: requestMethod)
            if !(100..<200).contains(response.statusCode) || response.statusCode == 101 { return response }
        }
    }

    /// True if the peer closes (FIN or RST) within `timeout` seconds with no unread bytes
    /// pending; false if it stays open or sent more data.
    func isClosedByPeer(timeout: Double = 1) -> Bool {
        if sawEndOfStream { return buffered.isEmpty }
        guard buffered.isEmpty else { return false }
        return socket.peerHasClosed(timeout: timeout)
    }

    /// Half-close: the proxy reads EOF on the client side, we can still read.
    func shutdownWrite() { socket.shutdownWrite() }

    /// Close with RST instead of FIN (abortive client).
    func reset() { socket.resetAndClose() }

    func close() { socket.close() }
}

enum RawConnectionError: Error, CustomStringConvertible {
    case timedOut(received: [UInt8])
    case closedByPeer(received: [UInt8])
    case invalidResponse(String, received: [UInt8])

    var description: String {
        switch self {
        case .timedOut(let bytes):
            return "timed out waiting for a complete response; received so far: \(Self.preview(bytes))"
        case .closedByPeer(let bytes):
            return "peer closed before a complete response; received: \(Self.preview(bytes))"
        case .invalidResponse(let reason, let bytes):
            return "invalid response (\(reason)); received: \(Self.preview(bytes))"
        }
    }

    private static func preview(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(512), as: UTF8.self).debugDescription
        return bytes.count > 512 ? "\(text)… (\(bytes.count) bytes)" : text
    }
}
