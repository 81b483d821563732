import NIOHTTP1
import PylonProxy
import XCTest

@testable import PylonGateway

/// Request IDs: a well-formed incoming ID from a sender `trust_incoming` believes is kept,
/// anything else replaced (or dropped when IDs are not generated); generated IDs are UUID
/// v4 text and do not repeat.
final class RequestIDTests: XCTestCase {
    private let ids = RequestIDs(RequestIDConfig())

    func testWellFormedMeansOneToOneHundredTwentyEightVisibleASCIICharacters() {
        for good in ["a", "3f2b8c1e-0000-4000-8000-000000000000", String(repeating: "x", count: 128), "!~/+=:.", "req_42", "\"quoted\""] {
            XCTAssertTrue(RequestIDs.isWellFormed(good), good)
        }
        for bad in ["", String(repeating: "x", count: 129), "two words", "tab\there", "bell\u{07}", "del\u{7F}", "café"] {
            XCTAssertFalse(RequestIDs.isWellFormed(bad), bad.debugDescription)
        }
    }

    func testIncomingIDIsKeptOnlyWhenWellFormedAndSingle() {
        XCTAssertEqual(ids.requestID(for: ["X-Request-Id": "abc-123"], fromTrustedProxy: true)?.description, "abc-123")
        XCTAssertEqual(ids.requestID(for: ["x-request-id": "abc-123"], fromTrustedProxy: true)?.description, "abc-123", "the header name ignores case")
        for headers: HeaderFields in [
            [:], ["X-Request-Id": "has space"], ["X-Request-Id": String(repeating: "x", count: 129)],
            HeaderFields([("X-Request-Id", "a"), ("X-Request-Id", "b")]),
        ] {
            let id = ids.requestID(for: headers, fromTrustedProxy: true)?.description
            XCTAssertNotNil(id.flatMap(Self.uuidV4), "replaced by a generated ID: \(headers) → \(id ?? "nil")")
        }
    }

    func testByDefaultOnlyATrustedProxysIDIsKept() {
        XCTAssertEqual(ids.trustIncoming, .trustedProxies)
        XCTAssertEqual(ids.requestID(for: ["X-Request-Id": "from-proxy"], fromTrustedProxy: true)?.description, "from-proxy")
        let id = ids.requestID(for: ["X-Request-Id": "from-anyone"], fromTrustedProxy: false)?.description
        XCTAssertNotNil(id.flatMap(Self.uuidV4), "an untrusted client's ID is replaced: \(id ?? "nil")")
    }

    func testTrustIncomingAlwaysAndNever() {
        let always = RequestIDs(RequestIDConfig(trustIncoming: .always))
        XCTAssertEqual(always.requestID(for: ["X-Request-Id": "abc"], fromTrustedProxy: false)?.description, "abc")
        let never = RequestIDs(RequestIDConfig(trustIncoming: .never))
        let id = never.requestID(for: ["X-Request-Id": "abc"], fromTrustedProxy: true)?.description
        XCTAssertNotNil(id.flatMap(Self.uuidV4), "not even a trusted proxy's ID is kept: \(id ?? "nil")")
    }

    func testTrustIsAskedOnlyWhenItMatters() {
        var asked = 0
        func trusted() -> Bool {
            asked += 1
            return true
        }
        _ = RequestIDs(RequestIDConfig(trustIncoming: .always)).requestID(for: ["X-Request-Id": "a"], fromTrustedProxy: trusted())
        _ = RequestIDs(RequestIDConfig(trustIncoming: .never)).requestID(for: ["X-Request-Id": "a"], fromTrustedProxy: trusted())
        XCTAssertEqual(asked, 0)
        _ = ids.requestID(for: ["X-Request-Id": "a"], fromTrustedProxy: trusted())
        XCTAssertEqual(asked, 1)
    }

    func testWithoutGenerateOnlyAWellFormedIDIsPassedOn() {
        let passing = RequestIDs(RequestIDConfig(generate: false))
        XCTAssertEqual(passing.requestID(for: ["X-Request-Id": "abc"], fromTrustedProxy: true)?.description, "abc")
        XCTAssertNil(passing.requestID(for: [:], fromTrustedProxy: true))
        XCTAssertNil(passing.requestID(for: ["X-Request-Id": "bad id"], fromTrustedProxy: true))
        XCTAssertNil(passing.requestID(for: ["X-Request-Id": "abc"], fromTrustedProxy: false), "an untrusted ID is dropped")
        var headers: HeaderFields = ["X-Request-Id": "bad id", "Other": "1"]
        passing.write(nil, to: &headers)
        XCTAssertEqual(headers["X-Request-Id"], [], "a malformed ID is not passed on")
        XCTAssertEqual(headers["Other"], ["1"])
    }

    func testWriteReplacesEveryExistingValue() {
        var headers = HeaderFields([("X-Request-Id", "a"), ("x-request-id", "b")])
        ids.write(.received("c"), to: &headers)
        XCTAssertEqual(headers["X-Request-Id"], ["c"])
        let custom = RequestIDs(RequestIDConfig(header: "X-Correlation-Id"))
        var other: HeaderFields = [:]
        custom.write(.received("d"), to: &other)
        XCTAssertEqual(other["x-correlation-id"], ["d"])
    }

    func testAGeneratedIDIsWrittenAsItsTextInPlaceOfAnyIncomingOne() {
        let id = RequestID.generated(RequestIDGenerator.uuidText(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210))
        var headers = HeaderFields([("X-Request-Id", "spoofed"), ("Other", "1")])
        ids.write(id, to: &headers)
        XCTAssertEqual(headers["x-request-id"], ["01234567-89ab-4def-bedc-ba9876543210"])
        var response: HeaderFields = [:]
        var kept: RequestID? = id
        ids.writeResponseID(&kept, to: &response)
        XCTAssertEqual(response["X-Request-Id"], ["01234567-89ab-4def-bedc-ba9876543210"])
        XCTAssertEqual(kept, id, "the response carries the request's own ID")
        var none: RequestID?
        ids.writeResponseID(&none, to: &response)
        XCTAssertNotNil(none.flatMap { Self.uuidV4($0.description) }, "a request refused before its ID was taken gets one")
        XCTAssertEqual(response["X-Request-Id"], [none!.description])
    }

    func testGeneratedIDsAreUUIDv4TextAndDistinct() {
        let generator = RequestIDGenerator()
        var seen = Set<String>()
        for _ in 0..<5_000 {
            let id = generator.next().description
            XCTAssertNotNil(Self.uuidV4(id), id)
            seen.insert(id)
        }
        XCTAssertEqual(seen.count, 5_000)
        XCTAssertNotEqual(RequestIDGenerator().next().description, RequestIDGenerator().next().description, "each process draws its own key")
    }

    func testUUIDTextLayout() {
        XCTAssertEqual(RequestIDGenerator.uuidText(high: 0, low: 0).description, "00000000-0000-4000-8000-000000000000")
        XCTAssertEqual(RequestIDGenerator.uuidText(high: .max, low: .max).description, "ffffffff-ffff-4fff-bfff-ffffffffffff")
        XCTAssertEqual(
            RequestIDGenerator.uuidText(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210).description,
            "01234567-89ab-4def-bedc-ba9876543210"
        )
    }

    func testHexDigitsAreEveryNibbleInOrder() {
        for value: UInt32 in [0, 0x0123_4567, 0x89AB_CDEF, 0xFEDC_BA98, 0x9A9A_0F0F, .max] {
            let digits = withUnsafeBytes(of: RequestIDGenerator.hexDigits(value)) { String(decoding: $0, as: UTF8.self) }
            let expected = String(repeating: "0", count: 8 - String(value, radix: 16).count) + String(value, radix: 16)
            XCTAssertEqual(digits, expected)
        }
    }

    func testSameKeyGivesTheSameSequence() {
        let a = RequestIDGenerator(key: (1, 2))
        let b = RequestIDGenerator(key: (1, 2))
        XCTAssertEqual((0..<3).map { _ in a.next().description }, (0..<3).map { _ in b.next().description })
    }

    /// The ID if it is lowercase UUID v4 text, else nil.
    static func uuidV4(_ id: String) -> String? {
        id.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) == nil ? nil : id
    }
}
