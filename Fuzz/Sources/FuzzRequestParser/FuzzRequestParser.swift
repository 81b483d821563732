// libFuzzer harness for `HTTP1RequestParser`.
//
// Every input is parsed one-shot and then again fed in several split patterns (one byte
// at a time, a cut in the middle, and pseudo-random pieces derived from the input), each
// under small limits (so 414/431 paths are reachable with short inputs) and the default
// ones. The harness traps — which libFuzzer reports as a crash and saves the input — when
//  - the parser itself traps (out-of-bounds, overflow, force-unwrap, …);
//  - the event stream breaks the grammar `(head body* end)*`, a body-less framing yields
//    body bytes, a Content-Length body does not add up, or `isAtMessageStart` is wrong;
//  - a nil ("need more bytes") answer is not stable when asked again;
//  - any split pattern gives different messages (heads, framing, body bytes, ends) or a
//    different error than one-shot feeding.
import NIOCore
import NIOHTTP1
import PylonProxy

/// What a whole parse produced, independent of how the bytes were split.
struct Outcome: Equatable, CustomStringConvertible {
    struct Message: Equatable {
        var head: RequestHead
        /// `HTTPHeaders` equality ignores order; the order is part of what must not change.
        var headerLines: [String]
        var framing: RequestFraming
        var body: [UInt8] = []
        var ended = false
    }

    var messages: [Message] = []
    var error: RequestParseError? = nil

    var description: String {
        let lines = self.messages.map { "\($0.head) \($0.framing) body=\($0.body.count)B ended=\($0.ended)" }
        return "messages: [\(lines.joined(separator: "; "))] error: \(self.error.map { "\($0)" } ?? "none")"
    }
}

/// Feeds `pieces` in order into one parser and checks the event grammar as it goes.
func parse(_ pieces: [ArraySlice<UInt8>], limits: HTTP1RequestParser.Limits) -> Outcome {
    var parser = HTTP1RequestParser(limits: limits)
    var buffer = ByteBuffer()
    var outcome = Outcome()
    precondition(parser.isAtMessageStart, "a new parser is not at a message start")
    for piece in pieces {
        buffer.writeBytes(piece)
        do {
            while true {
                guard let event = try parser.next(&buffer) else {
                    // Asking again without new bytes must change nothing.
                    let before = buffer.readableBytes
                    let again = try parser.next(&buffer)
                    precondition(again == nil, "nil was followed by \(String(describing: again)) with no new bytes")
                    precondition(buffer.readableBytes == before, "a second nil consumed bytes")
                    break
                }
                try record(event, into: &outcome, parser: parser)
            }
        } catch let error as RequestParseError {
            outcome.error = error
            return outcome
        } catch {
            preconditionFailure("unexpected error type: \(error)")
        }
    }
    return outcome
}

struct GrammarViolation: Error {}

func record(_ event: HTTP1RequestParser.Event, into outcome: inout Outcome, parser: HTTP1RequestParser) throws {
    let open = outcome.messages.last.map { !$0.ended } ?? false
    switch event {
    case .head(let head, let framing):
        precondition(!open, "head while the previous message is still open")
        if case .contentLength(let n) = framing { precondition(n > 0, "Content-Length 0 must be reported as .none") }
        precondition(!parser.isAtMessageStart, "isAtMessageStart right after a head")
        let lines = head.headers.map { "\($0.name): \($0.value)" }
        outcome.messages.append(.init(head: head, headerLines: lines, framing: framing))
    case .body(let bytes):
        precondition(open, "body outside a message")
        let index = outcome.messages.count - 1
        precondition(outcome.messages[index].framing.hasBody, "body bytes for a body-less framing")
        precondition(bytes.readableBytes > 0, "empty body event")
        outcome.messages[index].body += bytes.readableBytesView
        if case .contentLength(let n) = outcome.messages[index].framing {
            precondition(outcome.messages[index].body.count <= n, "more body bytes than Content-Length")
        }
        precondition(!parser.isAtMessageStart, "isAtMessageStart inside a body")
    case .end:
        precondition(open, "end outside a message")
        let index = outcome.messages.count - 1
        if case .contentLength(let n) = outcome.messages[index].framing {
            precondition(outcome.messages[index].body.count == n, "end before Content-Length bytes arrived")
        }
        outcome.messages[index].ended = true
        precondition(parser.isAtMessageStart, "not at a message start right after end")
    }
}

/// A tiny deterministic generator (SplitMix64), seeded from the input so a saved crash replays.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func splitPatterns(_ bytes: [UInt8]) -> [[ArraySlice<UInt8>]] {
    var patterns: [[ArraySlice<UInt8>]] = []
    patterns.append(bytes.indices.map { bytes[$0...$0] })
    if bytes.count > 1 {
        let middle = bytes.count / 2
        patterns.append([bytes[..<middle], bytes[middle...]])
    }
    var seed: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
    for byte in bytes { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01B3 }
    var random = SplitMix64(state: seed)
    for maxPiece in [3, 17, 200] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let length = Int(random.next() % UInt64(maxPiece)) + 1
            let end = min(bytes.count, start + length)
            pieces.append(bytes[start..<end])
            start = end
        }
        patterns.append(pieces)
    }
    return patterns
}

let limitSets: [HTTP1RequestParser.Limits] = [
    .init(maxRequestLine: 64, maxHeaderBytes: 256),
    .init(),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let patterns = splitPatterns(bytes)
    for limits in limitSets {
        let oneShot = parse([bytes[...]], limits: limits)
        for (index, pieces) in patterns.enumerated() {
            let split = parse(pieces, limits: limits)
            if split != oneShot {
                preconditionFailure(
                    """
                    split pattern \(index) (\(pieces.count) pieces) differs from one-shot feeding, limits \(limits)
                    one-shot: \(oneShot)
                    split:    \(split)
                    """
                )
            }
        }
    }
    return 0
}
