import XCTest

@testable import PylonProxy

/// The word-at-a-time searches of a head's bytes, and the field split built on them, give
/// what a byte-by-byte look gives, wherever the byte sought sits in a word.
final class LineBreakSearchTests: XCTestCase {
    func testTheFirstLineBreakIsFoundForEveryByteAtEveryPosition() {
        forEveryByteAtEveryPosition { bytes, byte, place in
            bytes.withUnsafeBytes { buffer in
                let expected = byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") ? bytes.firstIndex(of: byte) : nil
                XCTAssertEqual(LineBreakSearch.firstLineBreak(in: buffer.baseAddress!, from: 0, to: bytes.count), expected, place)
                XCTAssertEqual(LineBreakSearch.first(byte, in: buffer.baseAddress!, from: 0, to: bytes.count), bytes.firstIndex(of: byte), place)
            }
        }
    }

    func testOnlyTheBytesBetweenFromAndToAreSearchedAndTheEarliestMatchWins() {
        // A CR before `from` and an LF at `to` are outside; a borrow from the first match
        // must not hide it behind a later one.
        let bytes = Array("\r0123456789\n\u{1}\r\n\n".utf8)
        bytes.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            XCTAssertNil(LineBreakSearch.firstLineBreak(in: base, from: 1, to: 11))
            XCTAssertEqual(LineBreakSearch.firstLineBreak(in: base, from: 1, to: 12), 11)
            XCTAssertEqual(LineBreakSearch.firstLineBreak(in: base, from: 12, to: bytes.count), 13)
            XCTAssertEqual(LineBreakSearch.first(UInt8(ascii: "\n"), in: base, from: 12, to: bytes.count), 14)
            XCTAssertNil(LineBreakSearch.first(UInt8(ascii: "\r"), in: base, from: 1, to: 13))
        }
        for length in 0..<40 {
            for first in 0..<length {
                var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: length)
                bytes[first] = UInt8(ascii: "\n")
                for later in (first + 1)..<max(length, first + 1) { bytes[later] = UInt8(ascii: later % 2 == 0 ? "\r" : "\n") }
                bytes.withUnsafeBytes { buffer in
                    XCTAssertEqual(LineBreakSearch.firstLineBreak(in: buffer.baseAddress!, from: 0, to: length), first, "\(first) of \(length)")
                }
            }
        }
    }

    /// The field split against a byte-by-byte reference: every byte value at every place of
    /// names of every length up to 19, with the colon after them.
    func testAFieldSplitsAsTheByteByByteReferenceDoes() {
        forEveryByteAtEveryPosition { name, byte, place in
            let field = name + Array(": value".utf8)
            field.withUnsafeBytes { buffer in
                XCTAssertEqual(Self.describe { try HeadReader.splitField(buffer) }, Self.describe { try Self.reference(buffer) }, place)
            }
        }
        for text in ["Host: a", "X-Forwarded-For:1.2.3.4", ":empty", "nocolon", "Content-Length :1", " folded: x", "A_b~c|d^e`f: v", "Abcdefgh: v",
                     "Abcdefg: v", "Abcdefghijklmnop: v", "Abcdefgh:", "Abcdefgh"] {
            Array(text.utf8).withUnsafeBytes { buffer in
                XCTAssertEqual(Self.describe { try HeadReader.splitField(buffer) }, Self.describe { try Self.reference(buffer) }, text)
            }
        }
    }

    private static func describe(_ split: () throws -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)) -> String {
        do {
            let (name, value) = try split()
            return "\(Array(name)) \(Array(value))"
        } catch {
            return (error as? RequestParseError)?.reason ?? "\(error)"
        }
    }

    /// The split as the parser made it before words: the name byte by byte to the colon.
    private static func reference(
        _ field: UnsafeRawBufferPointer
    ) throws(RequestParseError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        guard let colon = field.firstIndex(where: { !HTTPToken.isTokenByte($0) }), field[colon] == UInt8(ascii: ":") else {
            guard let bad = field.firstIndex(where: { !HTTPToken.isTokenByte($0) }) else { throw .badRequest("header line without colon") }
            if bad == 0, FieldValue.isWhitespace(field[bad]) { throw .badRequest("obsolete line folding in header") }
            guard field[bad...].contains(UInt8(ascii: ":")) else { throw .badRequest("header line without colon") }
            if FieldValue.isWhitespace(field[bad]) { throw .badRequest("whitespace before colon in header") }
            throw .badRequest("invalid character in header name")
        }
        guard colon > 0 else { throw .badRequest("empty header name") }
        var value = field[(colon + 1)...]
        while let first = value.first, FieldValue.isWhitespace(first) { value = value.dropFirst() }
        while let last = value.last, FieldValue.isWhitespace(last) { value = value.dropLast() }
        let bytes = UnsafeRawBufferPointer(rebasing: value)
        guard !FieldValue.hasControlCharacter(bytes) else { throw .badRequest("control character in header value") }
        return (UnsafeRawBufferPointer(rebasing: field[..<colon]), bytes)
    }
}
