@testable import PylonGateway
import XCTest

final class ByteCountSyntaxTests: XCTestCase {
    func testPlainNumbersAreBytes() throws {
        XCTAssertEqual(try ByteCountSyntax.parse("512"), 512)
        XCTAssertEqual(try ByteCountSyntax.parse("0"), 0)
        XCTAssertEqual(try ByteCountSyntax.parse("512B"), 512)
    }

    func testBinaryUnitsArePowersOf1024() throws {
        XCTAssertEqual(try ByteCountSyntax.parse("8KiB"), 8 * 1024)
        XCTAssertEqual(try ByteCountSyntax.parse("64KiB"), 64 * 1024)
        XCTAssertEqual(try ByteCountSyntax.parse("1MiB"), 1 << 20)
        XCTAssertEqual(try ByteCountSyntax.parse("1GiB"), 1 << 30)
        XCTAssertEqual(try ByteCountSyntax.parse("1.5KiB"), 1536)
    }

    func testDecimalUnitsArePowersOf1000() throws {
        XCTAssertEqual(try ByteCountSyntax.parse("1KB"), 1_000)
        XCTAssertEqual(try ByteCountSyntax.parse("2MB"), 2_000_000)
        XCTAssertEqual(try ByteCountSyntax.parse("1GB"), 1_000_000_000)
    }

    func testUnitsMatchIgnoringCase() throws {
        XCTAssertEqual(try ByteCountSyntax.parse("64kib"), 64 * 1024)
        XCTAssertEqual(try ByteCountSyntax.parse("10mb"), 10_000_000)
    }

    func testRejectsNegativeFractionalBytesUnknownUnitsAndGarbage() {
        XCTAssertThrowsError(try ByteCountSyntax.parse("-1KiB")) { error in
            XCTAssertTrue((error as? ValueSyntaxError)?.message.contains("must not be negative") ?? false)
        }
        XCTAssertThrowsError(try ByteCountSyntax.parse("1.5B")) { error in
            XCTAssertTrue((error as? ValueSyntaxError)?.message.contains("whole number of bytes") ?? false)
        }
        XCTAssertThrowsError(try ByteCountSyntax.parse("1K")) { error in
            XCTAssertTrue((error as? ValueSyntaxError)?.message.contains("unknown size unit \"K\"") ?? false)
        }
        for garbage in ["", "KiB", "big", "1 2KiB", "99999999999TiB"] {
            XCTAssertThrowsError(try ByteCountSyntax.parse(garbage), garbage)
        }
    }
}
