import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// The request line, Host rules and the head-level outcomes of `HTTP1RequestParser`.
final class HTTP1RequestParserTests: XCTestCase {
    func testSimpleGetYieldsHeadThenEnd() throws {
        let events = try parseAll("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n")
        guard case .head(let head, .none) = events.first else { return XCTFail("\(events)") }
        XCTAssertEqual(head.method, .GET)
        XCTAssertEqual(head.uri, "/a?b=c")
        XCTAssertEqual(head.version, .http1_1)
        XCTAssertEqual(head.headers["host"], ["example.com"])
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events.last, .end(nil))
    }

    // MARK: Methods

    func testStandardMethodsAreRecognised() throws {
        let methods: [(String, HTTPMethod)] = [
            ("GET", .GET), ("HEAD", .HEAD), ("POST", .POST), ("PUT", .PUT), ("DELETE", .DELETE),
            ("OPTIONS", .OPTIONS), ("PATCH", .PATCH), ("TRACE", .TRACE),
        ]
        for (name, method) in methods {
            let (head, _) = try parseHead("\(name) / HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(head.method, method, name)
        }
    }

    /// Methods are case-sensitive (RFC 9110 §9.1): only the exact upper-case names are the
    /// standard methods, whatever shortcut recognises the common ones.
    func testMethodNamesDifferingFromStandardOnesOnlyInCaseOrLengthAreExtensionMethods() throws {
        for name in ["get", "Get", "gET", "put", "post", "Post", "head", "HEAd", "GETS", "PUTS", "POSTS", "HEADS", "GE", "POS"] {
            let (head, _) = try parseHead("\(name) / HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(head.method, .RAW(value: name), name)
        }
    }

    func testExtensionMethodMadeOfTokenCharactersIsAccepted() throws {
        let (head, _) = try parseHead("PURGE /cache HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(head.method, .RAW(value: "PURGE"))
        let (odd, _) = try parseHead("M-SEARCH! / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(odd.method.rawValue, "M-SEARCH!")
    }

    func testMethodWithNonTokenCharacterIsRejectedWith400() {
        assertRejected("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
        assertRejected("GE\"T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
        assertRejected(Array("G\u{80}T / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400)
    }

    func testEmptyMethodIsRejectedWith400() {
        assertRejected(" / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
    }

    // MARK: Request target

    func testOriginFormTargetIsKeptVerbatim() throws {
        let (head, _) = try parseHead("GET /p/a%20th;x?q=1&r=%2F#frag HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(head.uri, "/p/a%20th;x?q=1&r=%2F#frag")
    }

    func testAbsoluteFormTargetReplacesHostWithItsAuthorityAndBecomesOriginForm() throws {
        let (head, _) = try parseHead("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: other.test\r\n\r\n")
        XCTAssertEqual(head.uri, "/a/b?c=d")
        XCTAssertEqual(head.headers["host"], ["example.com:8080"])
    }

    func testAbsoluteFormTargetWithoutPathBecomesSlash() throws {
        let (head, _) = try parseHead("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
        XCTAssertEqual(head.uri, "/")
        XCTAssertEqual(head.headers["host"], ["example.com"])
    }

    func testAbsoluteFormTargetWithOnlyAQueryGetsASlashBeforeIt() throws {
        let (head, _) = try parseHead("GET http://example.com?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        XCTAssertEqual(head.uri, "/?x=1")
    }

    func testAbsoluteFormSchemeIsCaseInsensitiveAndHTTPSIsRecognised() throws {
        let (upper, _) = try parseHead("GET HTTP://Example.com/x HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(upper.uri, "/x")
        XCTAssertEqual(upper.headers["host"], ["Example.com"])
        let (https, _) = try parseHead("GET https://secure.test:8443/y HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(https.uri, "/y")
        XCTAssertEqual(https.headers["host"], ["secure.test:8443"])
    }

    func testAbsoluteFormTargetSuppliesTheHostWhenTheHeaderIsAbsent() throws {
        let (head, _) = try parseHead("GET http://example.com/ HTTP/1.0\r\n\r\n")
        XCTAssertEqual(head.headers["host"], ["example.com"])
        XCTAssertEqual(head.uri, "/")
    }

    func testAsteriskFormTargetIsAccepted() throws {
        let (head, _) = try parseHead("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(head.method, .OPTIONS)
        XCTAssertEqual(head.uri, "*")
    }

    func testTargetWithControlCharacterDELOrNonASCIIByteIsRejectedWith400() {
        assertRejected(Array("GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400)
        assertRejected(Array("GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400)
        assertRejected(Array("GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400)
        assertRejected(Array("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400)
    }

    // MARK: Request line shape

    func testDoubleSpaceInRequestLineIsRejectedWith400() {
        assertRejected("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
        assertRejected("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
    }

    func testTrailingSpaceAfterVersionIsRejectedWith400() {
        assertRejected("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", status: 400)
    }

    func testTabsAsRequestLineSeparatorsAreRejectedWith400() {
        assertRejected("GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
    }

    func testRequestLineWithoutVersionIsRejectedWith400() {
        assertRejected("GET /\r\n\r\n", status: 400)
        assertRejected("GET\r\n\r\n", status: 400)
    }

    func testMalformedVersionIsRejectedWith400() {
        for version in ["HTTP/1", "HTTP/1.", "HTTP/1.1x", "HTTP/11", "HTTP/1,1", "http/1.1", "HTTPS/1.1", "HTTP/a.1", "HTTP/1.b", "HTTP/10.0"] {
            let error = assertRejected("GET / \(version)\r\nHost: a\r\n\r\n", status: 400)
            XCTAssertNotNil(error, version)
        }
    }

    func testHTTP2VersionInRequestLineIsRejectedWith505() {
        assertRejected("GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505)
        assertRejected("GET / HTTP/3.0\r\nHost: a\r\n\r\n", status: 505)
        assertRejected("GET / HTTP/0.9\r\nHost: a\r\n\r\n", status: 505)
    }

    func testHTTP2ConnectionPrefaceIsRejectedWith505() {
        assertRejected("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505)
    }

    func testHigherHTTP1MinorVersionIsTreatedAsHTTP11() throws {
        let (head, _) = try parseHead("GET / HTTP/1.9\r\nHost: a\r\n\r\n")
        XCTAssertEqual(head.version, .http1_1)
    }

    func testHTTP10RequestNeedsNoHost() throws {
        let (head, framing) = try parseHead("GET /old HTTP/1.0\r\n\r\n")
        XCTAssertEqual(head.version, .http1_0)
        XCTAssertEqual(head.uri, "/old")
        XCTAssertEqual(framing, .none)
        XCTAssertTrue(head.headers["host"].isEmpty)
    }

    func testLeadingEmptyLinesBeforeRequestLineAreIgnored() throws {
        let events = try parseAll("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        guard case .head(let head, .none) = events.first else { return XCTFail("\(events)") }
        XCTAssertEqual(head.uri, "/")
        XCTAssertEqual(events.last, .end(nil))
    }

    func testLeadingBareLFIsRejectedWith400() {
        assertRejected("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
    }

    func testLeadingBareCRIsRejectedWith400() {
        assertRejected("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
    }

    // MARK: Host

    func testMissingHostInHTTP11IsRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400)
    }

    func testTwoHostHeadersAreRejectedWith400() {
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n", status: 400)
    }

    func testHostHeaderNameIsMatchedCaseInsensitively() throws {
        let (head, _) = try parseHead("GET / HTTP/1.1\r\nhOsT: a.test\r\n\r\n")
        XCTAssertEqual(head.headers["host"], ["a.test"])
    }

    func testEmptyHostValueIsAccepted() throws {
        // RFC 9112 §3.2: a client with no authority to send sends an empty Host.
        let (head, _) = try parseHead("GET / HTTP/1.1\r\nHost:\r\n\r\n")
        XCTAssertEqual(head.headers["host"], [""])
    }

    // MARK: Absolute-form and Host: RFC rules the parser does not (yet) enforce

    /// RFC 9110 §4.2.1: a recipient MUST reject an "http" URI with an empty host as invalid.
    /// Fails today: the request is accepted with `Host: ""`.
    func testAbsoluteFormTargetWithEmptyAuthorityIsRejectedWith400() {
        assertRejected("GET http:///path HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
    }

    /// RFC 9112 §3.2: a server MUST answer 400 to any request with more than one Host field
    /// line — also when the target is in absolute-form. Fails today: both are replaced
    /// by the authority and the request is accepted.
    func testTwoHostHeadersAreRejectedWith400EvenWithAbsoluteFormTarget() {
        assertRejected("GET http://example.com/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400)
    }

    // MARK: Headers

    func testHeaderValuesAreTrimmedOfOptionalWhitespace() throws {
        let (head, _) = try parseHead("GET / HTTP/1.1\r\nHost: a\r\nX-A: \t b c \t \r\nX-B:d\r\n\r\n")
        XCTAssertEqual(head.headers["x-a"], ["b c"])
        XCTAssertEqual(head.headers["x-b"], ["d"])
    }

    func testHeaderOrderAndRepeatedFieldsArePreserved() throws {
        let (head, _) = try parseHead("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nAccept: */*\r\nX-A: 2\r\n\r\n")
        XCTAssertEqual(head.headers.map { "\($0.name)=\($0.value)" }, ["Host=a", "X-A=1", "Accept=*/*", "X-A=2"])
    }

    func testHeaderValueWithTabAndObsTextIsAccepted() throws {
        let (head, _) = try parseHead("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\tc\r\n\r\n")
        XCTAssertEqual(head.headers["x-a"], ["b\tc"])
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\u{E9}\r\n\r\n".utf8)
        let (events, error) = feed([bytes])
        XCTAssertNil(error)
        XCTAssertEqual(events.count, 2)
    }

    // MARK: Outcomes

    func testConnectIsRejectedWith501() {
        assertRejected("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", status: 501)
    }

    func testHeadWithoutBodyFieldsHasNoneFraming() throws {
        let (_, framing) = try parseHead("POST / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(framing, .none)
        XCTAssertFalse(framing.hasBody)
    }

    func testEveryParseErrorStatusIsOneTheDocsList() {
        let inputs = [
            "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        ]
        for input in inputs {
            guard let error = feed([Array(input.utf8)]).error else { XCTFail(input); continue }
            XCTAssertTrue([400, 408, 413, 414, 431, 501, 505].contains(error.status), "\(error)")
            XCTAssertFalse(error.reason.isEmpty)
            XCTAssertEqual(error.description, "\(error.status) \(error.reason)")
        }
    }
}
