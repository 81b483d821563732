@testable import PylonGateway
import XCTest

final class DurationSyntaxTests: XCTestCase {
    func testEveryUnitParses() throws {
        XCTAssertEqual(try DurationSyntax.parse("7ns"), .nanoseconds(7))
        XCTAssertEqual(try DurationSyntax.parse("500us"), .microseconds(500))
        XCTAssertEqual(try DurationSyntax.parse("250ms"), .milliseconds(250))
        XCTAssertEqual(try DurationSyntax.parse("1s"), .seconds(1))
        XCTAssertEqual(try DurationSyntax.parse("2m"), .seconds(120))
        XCTAssertEqual(try DurationSyntax.parse("1h"), .seconds(3600))
    }

    func testFractionsAreExactNotRoundedThroughBinaryFloatingPoint() throws {
        XCTAssertEqual(try DurationSyntax.parse("1.5s"), .milliseconds(1500))
        XCTAssertEqual(try DurationSyntax.parse("1.001s"), .nanoseconds(1_001_000_000))
        XCTAssertEqual(try DurationSyntax.parse("0.25h"), .seconds(900))
    }

    func testSpaceBetweenNumberAndUnitIsAllowed() throws {
        XCTAssertEqual(try DurationSyntax.parse("30 s"), .seconds(30))
    }

    func testRejectsNegativeMissingUnitUnknownUnitAndGarbage() {
        XCTAssertThrowsError(try DurationSyntax.parse("-1s")) { error in
            XCTAssertTrue(message(error).contains("must not be negative"), message(error))
        }
        XCTAssertThrowsError(try DurationSyntax.parse("30")) { error in
            XCTAssertTrue(message(error).contains("needs a unit"), message(error))
        }
        XCTAssertThrowsError(try DurationSyntax.parse("3d")) { error in
            XCTAssertTrue(message(error).contains("unknown duration unit \"d\""), message(error))
        }
        for garbage in ["s", "abc", ".5s", "1.s", "1..2s", "1e3ms", "+1s"] {
            XCTAssertThrowsError(try DurationSyntax.parse(garbage), garbage)
        }
    }

    func testRejectsValuesFinerThanANanosecondOrTooLarge() {
        XCTAssertThrowsError(try DurationSyntax.parse("1.5ns"))
        XCTAssertThrowsError(try DurationSyntax.parse("999999999999999999h"))
    }

    private func message(_ error: any Error) -> String {
        (error as? ValueSyntaxError)?.message ?? "\(error)"
    }
}
