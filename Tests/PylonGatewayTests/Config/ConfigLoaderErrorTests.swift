import Foundation
import PylonGateway
import XCTest

/// Every problem must name the place in the file where the offending key or value is.
final class ConfigLoaderErrorTests: XCTestCase {
    func testUnknownTopLevelKeyIsReportedAtTheKeyWithASuggestion() {
        let found = configProblems(in: minimalConfigYAML + "drain_timout: 10s\n")
        XCTAssertEqual(found.count, 1)
        assertConfigProblem(found, at: 10, 1, contains: "unknown key \"drain_timout\" (did you mean \"drain_timeout\"?)")
    }

    func testUnknownNestedKeyIsReportedAtTheKey() {
        let found = configProblems(in: """
            listeners:
              - name: http
                address: "0.0.0.0:6191"
                backlg: 10
            upstreams:
              default:
                targets: ["127.0.0.1:9001"]
                helth_check: {tcp: {}}
            routes:
              - {path_prefix: /, upstream: default, methd: GET}
            """)
        XCTAssertEqual(found.count, 3)
        assertConfigProblem(found, at: 4, 5, contains: "listeners[0]: unknown key \"backlg\" (did you mean \"backlog\"?)")
        assertConfigProblem(found, at: 8, 5, contains: "upstreams.default: unknown key \"helth_check\" (did you mean \"health_check\"?)")
        assertConfigProblem(found, at: 10, 41, contains: "routes[0]: unknown key \"methd\"")
    }

    func testBadDurationIsReportedAtTheValue() {
        let found = configProblems(in: minimalConfigYAML + "drain_timeout: 30 seconds\n")
        assertConfigProblem(found, at: 10, 16, contains: "unknown duration unit \"seconds\"")
    }

    func testNegativeDurationIsRejected() {
        let found = configProblems(in: minimalConfigYAML + "limits: {idle_timeout: -5s}\n")
        assertConfigProblem(found, at: 10, 24, contains: "must not be negative")
    }

    func testDurationWithoutAUnitIsRejected() {
        let found = configProblems(in: minimalConfigYAML + "limits:\n  header_timeout: 10\n")
        assertConfigProblem(found, at: 11, 19, contains: "\"10\" needs a unit")
    }

    func testBadSizeIsReportedAtTheValue() {
        let found = configProblems(in: minimalConfigYAML + "limits:\n  max_header_bytes: 32 kilobytes\n")
        assertConfigProblem(found, at: 11, 21, contains: "limits.max_header_bytes: \"32 kilobytes\" has an unknown size unit")
    }

    func testGarbageSizeIsRejected() {
        let found = configProblems(in: minimalConfigYAML + "limits:\n  max_body: lots\n")
        assertConfigProblem(found, at: 11, 13, contains: "\"lots\" is not a size")
    }

    func testZeroKeepAliveRequestsIsRejectedAtTheValue() {
        let found = configProblems(in: minimalConfigYAML + "limits:\n  keepalive_requests: 0\n")
        assertConfigProblem(found, at: 11, 23, contains: "limits.keepalive_requests")
    }

    func testBadListenerAddressIsReportedAtTheValue() {
        let found = configProblems(in: """
            listeners:
              - name: http
                address: "example.com:80"
            upstreams: {default: {targets: ["127.0.0.1:9001"]}}
            routes: [{path_prefix: /, upstream: default}]
            """)
        assertConfigProblem(found, at: 3, 14, contains: "listeners[0].address: \"example.com\" in \"example.com:80\" is not an IP address")
    }

    func testOutOfRangePortIsReportedAtTheValue() {
        let found = configProblems(in: """
            listeners:
              - name: http
                address: 0.0.0.0:70000
            upstreams: {default: {targets: ["127.0.0.1:9001", "127.0.0.1:0"]}}
            routes: [{path_prefix: /, upstream: default}]
            """)
        XCTAssertEqual(found.count, 2)
        assertConfigProblem(found, at: 3, 14, contains: "port 70000 in \"0.0.0.0:70000\" is out of range")
        assertConfigProblem(found, at: 4, 51, contains: "upstreams.default.targets[1]: port 0")
    }

    func testRouteNamingAnUnknownUpstreamIsReportedAtTheName() {
        let found = configProblems(in: """
            listeners: [{name: http, address: "0.0.0.0:6191"}]
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - path_prefix: /
                upstream: defualt
            """)
        XCTAssertEqual(found.count, 1)
        assertConfigProblem(found, at: 6, 15, contains: "routes[0].upstream: upstream \"defualt\" is not defined")
    }

    func testMissingRequiredKeysAreReportedAtTheEnclosingMapping() {
        let found = configProblems(in: """
            listeners:
              - name: http
            upstreams:
              default:
                balance: round_robin
            """)
        assertConfigProblem(found, at: 1, 1, contains: "missing required key \"routes\"")
        assertConfigProblem(found, at: 2, 5, contains: "listeners[0]: missing required key \"address\"")
        assertConfigProblem(found, at: 5, 5, contains: "upstreams.default: missing required key \"targets\"")
        XCTAssertEqual(found.count, 3)
    }

    func testDuplicateListenerNamesAreReportedAtTheSecondName() {
        let found = configProblems(in: """
            listeners:
              - name: http
                address: "0.0.0.0:80"
              - name: http
                address: "0.0.0.0:8080"
            upstreams: {default: {targets: ["127.0.0.1:9001"]}}
            routes: [{path_prefix: /, upstream: default}]
            """)
        XCTAssertEqual(found.count, 1)
        assertConfigProblem(found, at: 4, 11, contains: "duplicate listener name \"http\"; it is first used at line 2, column 11")
    }

    func testEmptyListsOfListenersTargetsAndRoutesAreRejected() {
        let found = configProblems(in: """
            listeners: []
            upstreams: {default: {targets: []}}
            routes: []
            """)
        assertConfigProblem(found, at: 1, 12, contains: "at least one listener is required")
        assertConfigProblem(found, at: 2, 32, contains: "at least one target is required")
        assertConfigProblem(found, at: 3, 9, contains: "at least one route is required")
    }

    func testPathPrefixMustStartWithSlash() {
        let found = configProblems(in: """
            listeners: [{name: http, address: "0.0.0.0:6191"}]
            upstreams: {default: {targets: ["127.0.0.1:9001"]}}
            routes:
              - {path_prefix: api, upstream: default}
            """)
        assertConfigProblem(found, at: 4, 19, contains: "path \"api\" must start with \"/\"")
    }

    func testUnknownBalanceStrategyListsTheKnownOnes() {
        let found = configProblems(in: """
            listeners: [{name: http, address: "0.0.0.0:6191"}]
            upstreams:
              default: {targets: ["127.0.0.1:9001"], balance: random}
            routes: [{path_prefix: /, upstream: default}]
            """)
        assertConfigProblem(found, at: 3, 51, contains: "\"random\" is not one of \"round_robin\"")
    }

    func testInvalidHeaderNamesAreReportedAtTheName() {
        let found = configProblems(in: minimalConfigYAML + """
            response_headers:
              set: {"Bad Name": x}
              remove: ["X:Colon"]

            """)
        assertConfigProblem(found, at: 11, 9, contains: "\"Bad Name\" is not a valid header name")
        assertConfigProblem(found, at: 12, 12, contains: "\"X:Colon\" is not a valid header name")
    }

    func testAuthHeaderMustBeAValidHeaderName() {
        let found = configProblems(in: """
            listeners: [{name: http, address: "0.0.0.0:6191"}]
            upstreams: {default: {targets: ["127.0.0.1:9001"]}}
            routes:
              - path_prefix: /
                upstream: default
                auth: {header: "Auth Header", equals_secret: s3cret}
            """)
        assertConfigProblem(found, at: 6, 20, contains: "\"Auth Header\" is not a valid header name")
    }

    func testYAMLSyntaxErrorHasAPosition() {
        let found = configProblems(in: """
            listeners:
              - name: http
                address: "0.0.0.0:6191
            """)
        XCTAssertEqual(found.count, 1)
        let problem = try? XCTUnwrap(found.first)
        XCTAssertEqual(problem?.line, 3)
        XCTAssertTrue(problem?.message.hasPrefix("YAML syntax error:") ?? false, problem?.message ?? "")
        XCTAssertTrue(problem?.message.contains("quoted scalar at 3:14") ?? false, problem?.message ?? "")
    }

    func testTabIndentationGetsAHint() {
        let found = configProblems(in: "listeners:\n\t- name: http\n")
        assertConfigProblem(found, at: 2, 1, contains: "YAML does not allow tabs for indentation")
    }

    func testDuplicateKeyIsReportedAtTheRepeatedKey() {
        let found = configProblems(in: minimalConfigYAML + "listeners: []\n")
        XCTAssertEqual(found.count, 1)
        assertConfigProblem(found, at: 10, 1, contains: "duplicate key \"listeners\"; it is already defined at line 1, column 1")
    }

    func testEmptyDocumentIsRejected() {
        let found = configProblems(in: "# nothing here yet\n")
        assertConfigProblem(found, at: 1, 1, contains: "the config is empty")
    }

    func testSeveralProblemsAreReportedTogetherInFileOrder() {
        let found = configProblems(in: """
            workers: none
            listeners:
              - name: http
                address: "0.0.0.0:6191"
            upstreams:
              default:
                targets: ["127.0.0.1:9001"]
                connect_timeout: 2 weeks
            routes:
              - path_prefix: /
                upstream: missing
            limits:
              max_body: -1MiB
            """)
        XCTAssertEqual(found.map(\.line), [1, 8, 11, 13])
        assertConfigProblem(found, at: 1, 10, contains: "expected \"auto\" or a number of workers")
        assertConfigProblem(found, at: 8, 22, contains: "unknown duration unit \"weeks\"")
        assertConfigProblem(found, at: 11, 15, contains: "upstream \"missing\" is not defined")
        assertConfigProblem(found, at: 13, 13, contains: "size must not be negative")
    }

    func testErrorDescriptionIsOneFileLineColumnMessagePerLine() {
        do {
            _ = try ConfigLoader.parse(yaml: minimalConfigYAML + "workers: 0\nbogus: 1\n", file: "gw.yaml")
            XCTFail("expected an error")
        } catch {
            let lines = error.description.split(separator: "\n")
            XCTAssertEqual(lines.first, "gw.yaml:10:10: workers: expected \"auto\" or a number of workers from 1 to 1024, found \"0\"")
            XCTAssertEqual(lines.last?.hasPrefix("gw.yaml:11:1: unknown key \"bogus\""), true)
            XCTAssertEqual(lines.count, 2)
        }
    }

    func testLoadingAMissingFileSaysSo() {
        let path = "/nonexistent/pylon-\(UUID().uuidString).yaml"
        do {
            _ = try ConfigLoader.load(path: path)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.problems.count, 1)
            XCTAssertEqual(error.description, "\(path): cannot read the config file: no such file")
        }
    }

    func testLoadingADirectorySaysSo() {
        do {
            _ = try ConfigLoader.load(path: FileManager.default.temporaryDirectory.path)
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.description.hasSuffix("cannot read the config file: it is a directory"), error.description)
        }
    }
}
