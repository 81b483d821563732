import PylonGateway
import XCTest

/// The smallest config that loads: one listener, one upstream, one route.
let minimalConfigYAML = """
    listeners:
      - name: http
        address: "0.0.0.0:6191"
    upstreams:
      default:
        targets: ["127.0.0.1:9001"]
    routes:
      - path_prefix: /
        upstream: default

    """

/// A config whose one upstream, `api`, holds `upstream` (YAML lines; the first on line 4),
/// with a listener and a route to it.
func singleUpstreamConfig(_ upstream: String) -> String {
    """
    listeners: [{name: http, address: "0.0.0.0:6191"}]
    upstreams:
      api:
    \(upstream.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    routes: [{path_prefix: /, upstream: api}]

    """
}

/// The upstream `api` of `singleUpstreamConfig(upstream)`, loaded.
func loadSingleUpstream(_ upstream: String) throws -> UpstreamConfig {
    let config = try ConfigLoader.parse(yaml: singleUpstreamConfig(upstream), file: "test.yaml")
    return try XCTUnwrap(config.upstream(named: "api"))
}

/// Parses `yaml`, fails the test if it loads, and returns the problems it reported.
func configProblems(in yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
    do {
        let config = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        XCTFail("expected the config to be rejected, but it loaded: \(config)", file: file, line: line)
        return []
    } catch {
        return error.problems
    }
}

/// Asserts that exactly one problem sits at `line`:`column` and that its message contains `text`.
func assertConfigProblem(
    _ problems: [ConfigProblem], at problemLine: Int, _ column: Int, contains text: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let here = problems.filter { $0.line == problemLine && $0.column == column }
    guard here.count == 1, let problem = here.first else {
        XCTFail(
            "expected one problem at \(problemLine):\(column), got:\n" + problems.map(\.description).joined(separator: "\n"),
            file: file, line: line
        )
        return
    }
    XCTAssertTrue(
        problem.message.contains(text), "\"\(problem.message)\" does not contain \"\(text)\"", file: file, line: line
    )
}
