import PylonGateway
import XCTest

final class HeaderRulesReadingTests: XCTestCase {
    func testSettingTheSameHeaderTwiceInDifferentCaseIsRejected() {
        let found = configProblems(in: minimalConfigYAML + """
            response_headers:
              set:
                Server: a
                server: b

            """)
        assertConfigProblem(found, at: 13, 5, contains: "header \"server\" is already set at line 12, column 5")
    }

    func testAddingTheSameHeaderTwiceIsAllowed() throws {
        let config = try ConfigLoader.parse(yaml: minimalConfigYAML + """
            response_headers:
              add: {Set-Cookie: a=1, set-cookie: b=2}

            """, file: "add.yaml")
        XCTAssertEqual(config.responseHeaders.add, [
            HeaderField(name: "Set-Cookie", value: "a=1"),
            HeaderField(name: "set-cookie", value: "b=2"),
        ])
    }

    func testAListOfValuesGivesOneFieldPerValueInOrder() throws {
        let config = try ConfigLoader.parse(yaml: minimalConfigYAML + """
            response_headers:
              set: {Vary: [Accept, Origin]}
              add: {Set-Cookie: [a=1, b=2], X-One: only}

            """, file: "lists.yaml")
        XCTAssertEqual(config.responseHeaders.set, [HeaderField(name: "Vary", value: "Accept"), HeaderField(name: "Vary", value: "Origin")])
        XCTAssertEqual(config.responseHeaders.add, [
            HeaderField(name: "Set-Cookie", value: "a=1"),
            HeaderField(name: "Set-Cookie", value: "b=2"),
            HeaderField(name: "X-One", value: "only"),
        ])
    }

    func testAnEmptyOrNestedListOfValuesIsRejected() {
        let found = configProblems(in: minimalConfigYAML + """
            response_headers:
              set: {Vary: []}
              add: {X-A: [ok, [nested]]}

            """)
        assertConfigProblem(found, at: 11, 15, contains: "expected at least one header value")
        assertConfigProblem(found, at: 12, 19, contains: "expected a header value, found a list")
    }

    func testFramingAndHopByHopHeadersCannotBeEdited() {
        let found = configProblems(in: minimalConfigYAML + """
            request_headers:
              set: {Content-Length: "0"}
              add: {Transfer-Encoding: chunked}
              remove: [Connection]

            """)
        assertConfigProblem(found, at: 11, 9, contains: "\"Content-Length\" is maintained by the proxy")
        assertConfigProblem(found, at: 12, 9, contains: "\"Transfer-Encoding\" is maintained by the proxy")
        assertConfigProblem(found, at: 13, 12, contains: "\"Connection\" is maintained by the proxy")
    }

    func testRequestHostCanBeSetButNotRemovedOrAdded() {
        let found = configProblems(in: minimalConfigYAML + """
            request_headers:
              set: {Host: example.com}
              add: {Host: other.example}
              remove: [host]

            """)
        XCTAssertEqual(found.count, 2)
        assertConfigProblem(found, at: 12, 9, contains: "use set to replace it")
        assertConfigProblem(found, at: 13, 12, contains: "HTTP/1.1 requests need a Host")
    }

    func testHeaderValueMustBeAScalar() {
        let found = configProblems(in: minimalConfigYAML + """
            response_headers:
              set:
                X-Empty:
                X-Map: {a: b}

            """)
        assertConfigProblem(found, at: 12, 13, contains: "found nothing; write \"\" for an empty value")
        // A list is several values (see above); a mapping is nothing a header can hold.
        assertConfigProblem(found, at: 13, 12, contains: "expected a header value, found a mapping")
    }
}
