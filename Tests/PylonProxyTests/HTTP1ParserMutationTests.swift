import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// Mutated requests and responses: valid messages with bytes flipped, inserted, deleted,
/// repeated and spliced, the kinds of damage smuggling attempts and broken peers produce.
/// Whatever the bytes, the parsers must not trap, must give the same result however the
/// bytes are split, and every request they accept must reach the upstream as a request
/// SwiftNIO's own decoder (llhttp, a parser written apart from Pylon's) reads the same way.
///
/// `PYLON_FUZZ_ITERATIONS` sets how many mutants each test tries (a few thousand by
/// default; a million takes some minutes), `PYLON_FUZZ_SEED` where the sequence starts.
final class HTTP1ParserMutationTests: XCTestCase {
    private static let iterations = ProcessInfo.processInfo.environment["PYLON_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 3000
    private static let seed = ProcessInfo.processInfo.environment["PYLON_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5eed

    private static let requests: [String] = [
        "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Empty:\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\n\r\n",
        "POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
        "PUT /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\nhello\r\nB\r\n 0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
        "GET http://example.com:8080/abs?x HTTP/1.1\r\nHost: ignored\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
        "GET /%7Euser/./x/../y HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nUpgrade: h2c\r\n\r\n",
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
    ]

    private static let responses: [String] = [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: b\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + "5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
        "HTTP/1.0 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
    ]

    /// Bytes that mean something to a parser, for the mutator to put anywhere.
    private static let tokens: [[UInt8]] = [
        "\r\n", "\r", "\n", "\r\n\r\n", ":", " ", "\t", "0", "1", "9", "f", ";", ",", "\u{0}", "\u{7F}",
        "chunked", "Transfer-Encoding: chunked\r\n", "Content-Length: 5\r\n", "Content-Length: -1\r\n",
        "Host: b\r\n", "Connection: close\r\n", "HTTP/1.1", "ffffffffffffffffff", " \r\n", "%", "%zz", "/../",
    ].map { Array($0.utf8) } + [[0x80], [0xFF], [0xC3, 0xA9]]

    func testMutatedRequestsParseTheSameHoweverSplitAndReachTheUpstreamAsSent() {
        var random = SeededGenerator(state: Self.seed)
        let samples = Self.requests.map { Array($0.utf8) }
        var accepted = 0
        for iteration in 0..<Self.iterations {
            let input = Self.mutate(samples.randomElement(using: &random)!, samples: samples, using: &random)
            let whole = summarize([input])
            let split = summarize(input.randomPieces(maxPiece: 7, using: &random))
            guard whole == split else {
                return XCTFail("iteration \(iteration): \(Self.show(input))\nwhole: \(whole)\nsplit: \(split)")
            }
            for message in whole.messages where message.ended {
                // An extension method is valid HTTP (RFC 9110 §9.1) that llhttp refuses:
                // it cannot be the judge of those.
                if case .RAW = message.head.method { continue }
                accepted += 1
                self.assertUpstreamReadsTheSameRequest(message, input: input, iteration: iteration)
            }
        }
        // The mutants must not all be rejected, or the re-reading above proved nothing.
        XCTAssertGreaterThan(accepted, Self.iterations / 10)
    }

    func testMutatedResponsesParseTheSameHoweverSplit() {
        var random = SeededGenerator(state: Self.seed ^ 0xFFFF)
        let samples = Self.responses.map { Array($0.utf8) }
        let methods: [HTTPMethod] = [.GET, .HEAD, .POST]
        for iteration in 0..<Self.iterations {
            let input = Self.mutate(samples.randomElement(using: &random)!, samples: samples, using: &random)
            let method = methods.randomElement(using: &random)!
            let whole = Self.parseResponse([input], method: method)
            let split = Self.parseResponse(input.randomPieces(maxPiece: 7, using: &random), method: method)
            guard whole == split else {
                return XCTFail("iteration \(iteration), \(method): \(Self.show(input))\nwhole: \(whole)\nsplit: \(split)")
            }
        }
    }

    // MARK: - The oracle for accepted requests

    /// Writes `message` the way Pylon sends a request upstream and has NIO's decoder read it
    /// back: one request, with the same method, target, fields and body.
    private func assertUpstreamReadsTheSameRequest(
        _ message: ParseSummary.Message, input: [UInt8], iteration: Int
    ) {
        let sent = upstreamHead(for: message.head, framing: message.framing, forwarding: .noneAdded).head
        var writer = UpstreamRequestWriter()
        let bytes = writeUpstreamRequest(
            sent, pieces: message.body.isEmpty ? [] : [message.body], trailers: nil, writer: &writer
        )

        let context = "iteration \(iteration): \(Self.show(input))\nsent upstream: \(String(buffer: bytes).debugDescription)"
        let parts: [HTTPServerRequestPart]
        do {
            parts = try decodedByNIO(bytes)
        } catch {
            return XCTFail("NIO refused what Pylon would send: \(error)\n\(context)")
        }
        guard case .head(let head)? = parts.first, case .end? = parts.last else {
            return XCTFail("NIO did not read one whole request: \(parts)\n\(context)")
        }
        XCTAssertEqual(parts.filter { if case .head = $0 { true } else { false } }.count, 1, context)
        XCTAssertEqual(head.method.rawValue, sent.method.rawValue, context)
        XCTAssertEqual(head.uri, sent.uri, context)
        XCTAssertEqual(
            head.headers.map { "\($0.name): \($0.value)" }, sent.headers.map { "\($0.name): \($0.value)" }, context
        )
        var body: [UInt8] = []
        for case .body(let piece) in parts { body += piece.readableBytesView }
        XCTAssertEqual(body, message.body, context)
    }

    // MARK: - Responses

    private struct ResponseSummary: Equatable, CustomStringConvertible {
        var heads: [String] = []
        var body: [UInt8] = []
        var ended = false
        var error: ResponseParseError? = nil
        var description: String {
            "heads=\(self.heads) body=\(String(decoding: self.body, as: UTF8.self).debugDescription) ended=\(self.ended) error=\(self.error.map(\.reason) ?? "none")"
        }
    }

    private static func parseResponse(_ pieces: [[UInt8]], method: HTTPMethod) -> ResponseSummary {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(to: method)
        var buffer = ByteBuffer()
        var summary = ResponseSummary()
        for piece in pieces {
            buffer.writeBytes(piece)
            do {
                while let event = try parser.next(&buffer) {
                    switch event {
                    case .head(let head):
                        summary.heads.append("\(head.status.code) " + head.headers.map { "\($0.name): \($0.value)" }.joined(separator: "|"))
                    case .body(let piece): summary.body += piece.readableBytesView
                    case .end: summary.ended = true
                    }
                }
            } catch {
                summary.error = error
                return summary
            }
        }
        return summary
    }

    // MARK: - The mutator

    private static func mutate(_ sample: [UInt8], samples: [[UInt8]], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = sample
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let at = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where at < bytes.count:
                bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            case 1 where at < bytes.count:
                bytes[at] = Self.tokens.randomElement(using: &random)!.first!
            case 2:
                bytes.insert(contentsOf: Self.tokens.randomElement(using: &random)!, at: at)
            case 3 where at < bytes.count:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...6, using: &random)))
            case 4 where at < bytes.count:
                let piece = bytes[at..<min(bytes.count, at + Int.random(in: 1...12, using: &random))]
                bytes.insert(contentsOf: piece, at: at)
            case 5:
                let other = samples.randomElement(using: &random)!
                let from = Int.random(in: 0..<other.count, using: &random)
                bytes.insert(contentsOf: other[from..<min(other.count, from + Int.random(in: 1...40, using: &random))], at: at)
            default:
                break
            }
        }
        return bytes
    }

    private static func show(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).debugDescription
    }
}
