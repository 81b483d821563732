import NIOHTTP1
import XCTest

@testable import PylonGateway

/// `Route.matches(host:path:)`: a path prefix, optionally a host (stored lowercased, compared
/// with the already-normalised request host), and the route's metrics name.
final class RouteMatchingTests: XCTestCase {
    private func route(_ prefix: String, host: String? = nil) -> Route {
        Route(RouteConfig(pathPrefix: prefix, host: host, upstream: "u"), upstreamIndex: 0)
    }

    func testPathPrefixMatchesThePrefixAndLongerPathsOnly() {
        let family = route("/family")
        XCTAssertTrue(family.matches(host: nil, path: "/family"))
        XCTAssertTrue(family.matches(host: nil, path: "/family/"))
        XCTAssertTrue(family.matches(host: nil, path: "/family/photos/1"))
        XCTAssertFalse(family.matches(host: nil, path: "/famil"))
        XCTAssertFalse(family.matches(host: nil, path: "/"))
        XCTAssertFalse(family.matches(host: nil, path: "/Family/photos"), "paths are case-sensitive")
        XCTAssertFalse(family.matches(host: nil, path: "/x/family"))
    }

    func testRootPrefixMatchesEveryPath() {
        let root = route("/")
        for path in ["/", "/a", "/family/x", "/login"] {
            XCTAssertTrue(root.matches(host: nil, path: Substring(path)), path)
            XCTAssertTrue(root.matches(host: "any.example.com", path: Substring(path)), path)
        }
    }

    func testRouteWithoutHostMatchesAnyHostOrNone() {
        let api = route("/api")
        XCTAssertTrue(api.matches(host: nil, path: "/api"))
        XCTAssertTrue(api.matches(host: "example.com", path: "/api"))
    }

    func testRouteWithHostNeedsThatHost() {
        let api = route("/", host: "API.Example.com")
        XCTAssertTrue(api.matches(host: "api.example.com", path: "/x"), "config host is compared lowercased")
        XCTAssertFalse(api.matches(host: nil, path: "/x"), "no Host header, no match")
        XCTAssertFalse(api.matches(host: "www.example.com", path: "/x"))
        XCTAssertFalse(api.matches(host: "api.example.com.evil", path: "/x"))
        XCTAssertFalse(api.matches(host: "example.com", path: "/x"))
    }

    func testHostAndPathMustBothMatch() {
        let admin = route("/admin", host: "admin.local")
        XCTAssertTrue(admin.matches(host: "admin.local", path: "/admin/users"))
        XCTAssertFalse(admin.matches(host: "admin.local", path: "/users"))
        XCTAssertFalse(admin.matches(host: "public.local", path: "/admin/users"))
    }

    func testRouteNameIsHostPlusPrefixAndCarriesAuthAndUpstream() {
        XCTAssertEqual(route("/login").name, "/login")
        XCTAssertEqual(route("/api", host: "api.example.com").name, "api.example.com/api")
        let guarded = Route(
            RouteConfig(pathPrefix: "/login", upstream: "u", auth: RouteAuth(header: "Authorization", secret: "pw")),
            upstreamIndex: 3
        )
        XCTAssertEqual(guarded.upstream, 3)
        guard case .secretHeader(let auth) = guarded.auth else {
            return XCTFail("expected the shared-secret check, got \(String(describing: guarded.auth))")
        }
        XCTAssertEqual(auth.header, "Authorization")
        XCTAssertTrue(auth.allows(["Authorization": "pw"]))
        XCTAssertNil(route("/").auth)
    }
}
