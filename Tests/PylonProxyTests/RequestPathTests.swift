import XCTest

@testable import PylonProxy

final class RequestPathTests: XCTestCase {
    func testCanonicalPathsAreReturnedUnchanged() {
        for path in ["/", "/login", "/a/b/c?x=%2F&y=..//", "/a.b/c..d/.e", "/a/b/"] {
            XCTAssertEqual(RequestPath.normalize(path), path, path)
        }
    }

    func testEncodedUnreservedCharactersAreDecodedSoRoutesSeeTheRealPath() {
        XCTAssertEqual(RequestPath.normalize("/%6cogin"), "/login")
        XCTAssertEqual(RequestPath.normalize("/%4C%6f%67in?q=%6c"), "/Login?q=%6c")
    }

    func testReservedEscapesStayEncodedWithUpperCaseHex() {
        XCTAssertEqual(RequestPath.normalize("/a%2fb"), "/a%2Fb")
        XCTAssertEqual(RequestPath.normalize("/a%20b"), "/a%20b")
    }

    func testRepeatedSlashesAndDotSegmentsAreResolvedWithoutClimbingAboveTheRoot() {
        XCTAssertEqual(RequestPath.normalize("//login"), "/login")
        XCTAssertEqual(RequestPath.normalize("/./login"), "/login")
        XCTAssertEqual(RequestPath.normalize("/x/../login"), "/login")
        XCTAssertEqual(RequestPath.normalize("/../../login"), "/login")
        XCTAssertEqual(RequestPath.normalize("/%2e%2e/login"), "/login")
        XCTAssertEqual(RequestPath.normalize("/a/b/.."), "/a/")
        XCTAssertEqual(RequestPath.normalize("/a/./"), "/a/")
        XCTAssertEqual(RequestPath.normalize("/.."), "/")
    }

    func testMalformedEscapesAreRejected() {
        XCTAssertNil(RequestPath.normalize("/a%zz"))
        XCTAssertNil(RequestPath.normalize("/a%4"))
        XCTAssertNil(RequestPath.normalize("/a%"))
    }
}
