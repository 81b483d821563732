import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// A parse's result independent of how the bytes were split: every message's head (with
/// its header fields in order), framing, concatenated body, whether it ended and with which
/// trailer fields, and the error that stopped the parse, if any.
struct ParseSummary: Equatable, CustomStringConvertible {
    struct Message: Equatable {
        var head: RequestHead
        var headerLines: [String]
        var framing: RequestFraming
        var body: [UInt8] = []
        var ended = false
        /// The trailer fields the end carried, `name: value` in order; nil when it carried none.
        var trailerLines: [String]? = nil
    }

    var messages: [Message] = []
    var error: RequestParseError? = nil

    var description: String {
        let messages = self.messages.map {
            "\($0.head.method) \($0.head.uri) \($0.head.version) \($0.headerLines) \($0.framing) "
                + "body=\(String(decoding: $0.body, as: UTF8.self).debugDescription) ended=\($0.ended)"
                + ($0.trailerLines.map { " trailers=\($0)" } ?? "")
        }
        return "\(messages) error=\(self.error.map { "\($0)" } ?? "none")"
    }

    mutating func record(_ event: HTTP1RequestParser.Event) {
        switch event {
        case .head(let head, let framing):
            let lines = head.headers.map { "\($0.name): \($0.value)" }
            self.messages.append(Message(head: head, headerLines: lines, framing: framing))
        case .body(let bytes):
            precondition(!self.messages.isEmpty, "body before any head")
            self.messages[self.messages.count - 1].body += bytes.readableBytesView
        case .end(let trailers):
            precondition(!self.messages.isEmpty, "end before any head")
            self.messages[self.messages.count - 1].ended = true
            self.messages[self.messages.count - 1].trailerLines = trailers?.map { "\($0.name): \($0.value)" }
        }
    }
}

/// Feeds `pieces` one after another into one parser, the way a connection does: new bytes
/// are appended to what is still unread, then events are taken until the parser needs more.
func feed(
    _ pieces: [[UInt8]], limits: HTTP1RequestParser.Limits = .init()
) -> (events: [HTTP1RequestParser.Event], error: RequestParseError?) {
    var parser = HTTP1RequestParser(limits: limits)
    var buffer = ByteBuffer()
    var events: [HTTP1RequestParser.Event] = []
    for piece in pieces {
        buffer.writeBytes(piece)
        do {
            while let event = try parser.next(&buffer) { events.append(event) }
        } catch {
            return (events, error)
        }
    }
    return (events, nil)
}

func summarize(_ pieces: [[UInt8]], limits: HTTP1RequestParser.Limits = .init()) -> ParseSummary {
    let (events, error) = feed(pieces, limits: limits)
    var summary = ParseSummary()
    for event in events { summary.record(event) }
    summary.error = error
    return summary
}

/// Every event for `text` given in one buffer; throws the parse error, if any.
func parseAll(_ text: String, limits: HTTP1RequestParser.Limits = .init()) throws -> [HTTP1RequestParser.Event] {
    let (events, error) = feed([Array(text.utf8)], limits: limits)
    if let error { throw error }
    return events
}

/// The head of the single request in `text`.
func parseHead(
    _ text: String, limits: HTTP1RequestParser.Limits = .init(), file: StaticString = #filePath, line: UInt = #line
) throws -> (RequestHead, RequestFraming) {
    let events = try parseAll(text, limits: limits)
    guard case .head(let head, let framing) = events.first else {
        XCTFail("no head in \(events)", file: file, line: line)
        throw RequestParseError(status: 0, reason: "no head")
    }
    return (head, framing)
}

/// Asserts that `bytes` (one buffer) is rejected with `status`; returns the error for more checks.
@discardableResult
func assertRejected(
    _ bytes: [UInt8], status: Int, limits: HTTP1RequestParser.Limits = .init(),
    file: StaticString = #filePath, line: UInt = #line
) -> RequestParseError? {
    let (events, error) = feed([bytes], limits: limits)
    guard let error else {
        XCTFail("accepted, expected \(status); events: \(events)", file: file, line: line)
        return nil
    }
    XCTAssertEqual(error.status, status, "reason: \(error.reason)", file: file, line: line)
    return error
}

@discardableResult
func assertRejected(
    _ text: String, status: Int, limits: HTTP1RequestParser.Limits = .init(),
    file: StaticString = #filePath, line: UInt = #line
) -> RequestParseError? {
    assertRejected(Array(text.utf8), status: status, limits: limits, file: file, line: line)
}

/// A small deterministic generator (SplitMix64) so "random" splits replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    /// The bytes cut into pieces of 1...maxPiece bytes.
    func randomPieces(maxPiece: Int, using generator: inout SeededGenerator) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var start = 0
        while start < self.count {
            let end = Swift.min(self.count, start + Int.random(in: 1...maxPiece, using: &generator))
            pieces.append(Array(self[start..<end]))
            start = end
        }
        return pieces
    }

    /// The bytes one at a time.
    var bytewise: [[UInt8]] { self.map { [$0] } }
}

/// Runs `body` over runs of `a` one to nineteen bytes long with one byte replaced: every
/// byte value at every position, so a check that works a word at a time meets each byte in
/// every lane, in a short run padded to a word and in a last word that overlaps another.
func forEveryByteAtEveryPosition(_ body: (_ bytes: [UInt8], _ byte: UInt8, _ place: String) -> Void) {
    for length in 1...19 {
        for position in 0..<length {
            for byte in UInt8.min...UInt8.max {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                bytes[position] = byte
                body(bytes, byte, "byte \(byte) at \(position) of \(length)")
            }
        }
    }
}
