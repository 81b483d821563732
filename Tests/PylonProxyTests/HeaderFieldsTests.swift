import NIOCore
import NIOHTTP1
import XCTest

@testable import PylonProxy

/// `HeaderFields`: a head's fields kept as the bytes they arrived in, edited with the
/// methods of NIOHTTP1's `HTTPHeaders`.
final class HeaderFieldsTests: XCTestCase {
    private func lines(_ fields: HeaderFields) -> [String] {
        fields.map { "\($0.name): \($0.value)" }
    }

    /// The bytes the upstream writer sends for `head`.
    private func written(_ head: RequestHead) -> [UInt8] {
        var writer = UpstreamRequestWriter()
        return Array(writer.writeHead(head, allocator: ByteBufferAllocator()).readableBytesView)
    }

    func testLookupIgnoresCaseAndNamesKeepTheCaseTheyCameIn() {
        let fields: HeaderFields = ["Content-Type": "text/plain", "X-Id": "1"]
        XCTAssertEqual(fields.first(name: "content-type"), "text/plain")
        XCTAssertEqual(fields.first(name: "X-ID"), "1")
        XCTAssertNil(fields.first(name: "x-i"))
        XCTAssertTrue(fields.contains(name: "CONTENT-TYPE"))
        XCTAssertEqual(self.lines(fields), ["Content-Type: text/plain", "X-Id: 1"])
    }

    func testNamesDifferingOnlyInNonLettersAreDifferent() {
        // Folding with 0x20 alone would take `^` (0x5E) for `~` (0x7E), both token bytes.
        let fields: HeaderFields = ["a^": "1"]
        XCTAssertFalse(fields.contains(name: "a~"))
        XCTAssertTrue(fields.contains(name: "A^"))
    }

    func testASubscriptGivesEveryLineOfANameInOrderWithoutSplittingLists() {
        let fields: HeaderFields = ["Accept": "a, b", "X": "0", "accept": "c"]
        XCTAssertEqual(fields["ACCEPT"], ["a, b", "c"])
        XCTAssertEqual(fields["missing"], [])
    }

    func testRemoveTakesEveryFieldOfTheNameAndKeepsTheRestInOrder() {
        var fields: HeaderFields = ["A": "1", "x-gone": "2", "B": "3", "X-Gone": "4", "C": "5"]
        fields.remove(name: "X-GONE")
        XCTAssertEqual(self.lines(fields), ["A: 1", "B: 3", "C: 5"])
        fields.remove(name: "absent")
        XCTAssertEqual(fields.count, 3)
    }

    func testReplaceOrAddLeavesOneFieldOfTheNameAfterTheOthers() {
        var fields: HeaderFields = ["Host": "a", "X-Id": "1", "Accept": "*/*", "x-id": "2"]
        fields.replaceOrAdd(name: "X-Id", value: "3")
        XCTAssertEqual(self.lines(fields), ["Host: a", "Accept: */*", "X-Id: 3"])
        fields.replaceOrAdd(name: "New", value: "4")
        XCTAssertEqual(self.lines(fields), ["Host: a", "Accept: */*", "X-Id: 3", "New: 4"])
    }

    func testAnEditedCopyLeavesTheOriginalAsItWas() {
        let original: HeaderFields = ["Host": "a", "Accept": "*/*"]
        var copy = original
        copy.replaceOrAdd(name: "Host", value: "b")
        copy.add(name: "X-New", value: "1")
        copy.setValue("text/html", at: 0)
        XCTAssertEqual(self.lines(original), ["Host: a", "Accept: */*"])
        XCTAssertEqual(self.lines(copy), ["Accept: text/html", "Host: b", "X-New: 1"])
    }

    func testLinesAndBytesGrowPastTheRoomLeftForThemAndCopiesStayApart() {
        let section = "Host: a\r\nAccept: */*\r\n"
        var fields = section.utf8.withContiguousStorageIfAvailable { section in
            let section = UnsafeRawBufferPointer(section)
            var fields = HeaderFields(copyingFieldSection: section, expectedLines: 1)
            fields.appendLine(name: UnsafeRawBufferPointer(rebasing: section[0..<4]), value: UnsafeRawBufferPointer(rebasing: section[6..<7]), in: section)
            fields.appendLine(name: UnsafeRawBufferPointer(rebasing: section[9..<15]), value: UnsafeRawBufferPointer(rebasing: section[17..<20]), in: section)
            return fields
        }!
        let before = fields
        // Past both the one expected line and the bytes left for edits.
        let long = String(repeating: "v", count: HeaderFields.roomForEdits)
        for index in 0..<40 { fields.add(name: "X-\(index)", value: "\(index)-\(long)") }
        XCTAssertEqual(self.lines(before), ["Host: a", "Accept: */*"], "the copy taken before growing is unchanged")
        XCTAssertEqual(fields.count, 42)
        XCTAssertEqual(Array(self.lines(fields).prefix(3)), ["Host: a", "Accept: */*", "X-0: 0-\(long)"])
        XCTAssertEqual(fields.first(name: "x-39"), "39-\(long)")
        fields.removeLines { $0.count == 3 }
        XCTAssertEqual(fields.count, 32, "X-0 to X-9 go")
        fields.insertFirst(name: "First", value: "1")
        XCTAssertEqual(Array(self.lines(fields).prefix(4)), ["First: 1", "Host: a", "Accept: */*", "X-10: 10-\(long)"])
    }

    func testEqualityComparesNamesIgnoringCaseValuesExactlyAndOrder() {
        XCTAssertEqual(HeaderFields([("Host", "a"), ("X", "1")]), HeaderFields([("host", "a"), ("x", "1")]))
        XCTAssertNotEqual(HeaderFields([("Host", "a")]), HeaderFields([("Host", "A")]))
        XCTAssertNotEqual(HeaderFields([("A", "1"), ("B", "2")]), HeaderFields([("B", "2"), ("A", "1")]))
        XCTAssertNotEqual(HeaderFields([("A", "1")]), HeaderFields([("A", "1"), ("A", "1")]))
    }

    func testFieldsAddedPastTheStoragesCapacityKeepEveryValue() {
        var fields = HeaderFields()
        let copies = (0..<5).map { _ in fields }
        for index in 0..<200 {
            fields.add(name: "X-Field-\(index)", value: String(repeating: "v", count: index % 37) + "\(index)")
            if index == 100 { XCTAssertEqual(copies.map(\.count), [0, 0, 0, 0, 0]) }
        }
        XCTAssertEqual(fields.count, 200)
        for index in [0, 1, 63, 64, 199] {
            XCTAssertEqual(fields.first(name: "x-field-\(index)"), String(repeating: "v", count: index % 37) + "\(index)")
        }
    }

    func testInsertFirstPutsTheFieldBeforeEveryOther() {
        var fields: HeaderFields = ["Accept": "*/*"]
        fields.insertFirst(name: "host", value: "a.test")
        XCTAssertEqual(self.lines(fields), ["host: a.test", "Accept: */*"])
    }

    func testConversionsWithNIOsHeadersKeepEveryFieldInOrder() {
        let nio = HTTPHeaders([("A", "1"), ("b", "2"), ("a", "3")])
        let fields = HeaderFields(nio)
        XCTAssertEqual(self.lines(fields), ["A: 1", "b: 2", "a: 3"])
        XCTAssertEqual(HTTPHeaders(fields).map { "\($0.name): \($0.value)" }, ["A: 1", "b: 2", "a: 3"])
    }

    // MARK: Parsed heads

    func testAParsedHeadKeepsOneCopyOfItsFieldBytesWithRoomForEdits() throws {
        let (head, _) = try parseHead("GET /x HTTP/1.1\r\nHost: a.test\r\nAccept:  */*  \r\n\r\n")
        let section = "Host: a.test\r\nAccept:  */*  \r\n\r\n"
        XCTAssertEqual(head.headers.storage.withUnsafeBytes { Array($0) }, Array(section.utf8), "the field section, copied once")
        XCTAssertGreaterThanOrEqual(head.headers.storage.byteCapacity, section.utf8.count + HeaderFields.roomForEdits)
        XCTAssertEqual(self.lines(head.headers), ["Host: a.test", "Accept: */*"], "values without their OWS")
    }

    func testObsTextInARequestValueGoesUpstreamByteForByte() throws {
        // "caf\xE9": Latin-1, not UTF-8. As a String it would become "caf\u{FFFD}" and go on
        // as the three bytes EF BF BD; a proxy passes obs-text on as opaque data (RFC 9110 §5.5).
        var request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf")
        request.writeBytes([0xE9])
        request.writeString("\r\n\r\n")
        var parser = HTTP1RequestParser()
        guard case .head(let head, let framing) = try parser.next(&request) else { return XCTFail("no head") }
        XCTAssertEqual(head.headers.first(name: "x-name"), "caf\u{FFFD}", "Strings are repaired when asked for")

        let written = self.written(upstreamHead(for: head, framing: framing).head)
        XCTAssertNotNil(
            written.firstRange(of: Array("X-Name: caf".utf8) + [0xE9, 0x0D, 0x0A]),
            String(decoding: written, as: UTF8.self).debugDescription
        )
        XCTAssertNil(written.firstRange(of: [0xEF, 0xBF, 0xBD]))
    }

    func testAnAddedValueCannotEndItsLineItsControlBytesBecomeSpaces() throws {
        var fields = HeaderFields()
        fields.add(name: "X-Note", value: "a\r\nX-Injected: yes\u{0}\u{7F}\tb")
        XCTAssertEqual(fields.count, 1)
        XCTAssertEqual(fields.first(name: "X-Note"), "a  X-Injected: yes  \tb", "HTAB is allowed in a value")
        XCTAssertFalse(fields.contains(name: "X-Injected"))

        // On the wire: a filter's value with CRLF in it stays one line of the upstream head.
        var (head, framing) = try parseHead("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        head.headers.replaceOrAdd(name: "X-Note", value: "a\r\nX-Injected: yes")
        let written = String(decoding: self.written(upstreamHead(for: head, framing: framing).head), as: UTF8.self)
        XCTAssertTrue(written.contains("\r\nX-Note: a  X-Injected: yes\r\n"), written.debugDescription)
        XCTAssertFalse(written.contains("\r\nX-Injected"), written.debugDescription)
    }

    func testAFieldWhoseNameIsNotATokenIsNotAdded() {
        var fields: HeaderFields = ["A": "1"]
        fields.add(name: "X-Bad\r\nX-Injected", value: "v")
        fields.add(name: "", value: "v")
        fields.add(name: "Bad Name", value: "v")
        fields.replaceOrAdd(name: "X-Bad:", value: "v")
        fields.insertFirst(name: "caf\u{E9}", value: "v")
        XCTAssertEqual(fields.map(\.name), ["A"])
        XCTAssertEqual(fields.storage.byteCount, 2, "nothing of a refused field is stored")
        var two: HeaderFields = ["A": "1", "B": "2"]
        two.insertFirst(name: "caf\u{E9}", value: "v")
        XCTAssertEqual(two.map(\.name), ["A", "B"], "a refused first field moves no other")
    }

    func testAHeaderFieldNameIsMadeOnlyFromAToken() {
        for bad in ["", "Bad Name", "X-Bad:", "X-Bad\r\nX-Injected", "caf\u{E9}"] {
            XCTAssertNil(HeaderFieldName(bad), bad.debugDescription)
        }
        XCTAssertEqual(HeaderFieldName("X-Request-Id")?.string, "X-Request-Id")
        XCTAssertEqual(HeaderFieldName("x-request-id"), HeaderFieldName("X-REQUEST-ID"), "names compare ignoring case")
    }

    func testACheckedNameReplacesEveryFieldOfThatNameAndStillMakesTheValueLegal() {
        let name = HeaderFieldName("X-Request-Id")!
        var fields = HeaderFields([("x-request-id", "a"), ("Other", "1"), ("X-REQUEST-ID", "b")])
        fields.replaceOrAdd(name, value: "c\r\nX-Injected: yes")
        XCTAssertEqual(self.lines(fields), ["Other: 1", "X-Request-Id: c  X-Injected: yes"])
        let bytes: [UInt8] = Array("d\u{7F}e".utf8)
        bytes.withUnsafeBytes { fields.replaceOrAdd(name, value: $0) }
        XCTAssertEqual(self.lines(fields), ["Other: 1", "X-Request-Id: d e"])
        fields.add(name, value: "f")
        XCTAssertEqual(fields["x-request-id"], ["d e", "f"])
        XCTAssertTrue(fields.contains(name))
        fields.remove(name)
        XCTAssertFalse(fields.contains(name))
        XCTAssertEqual(self.lines(fields), ["Other: 1"])
    }

    func testAFieldTheFrameworkNamesItselfStillHasItsValueMadeLegal() {
        var fields: HeaderFields = ["Via": "1.0 a"]
        fields.add(literalName: "Via", value: "1.1 b\r\nX-Injected: yes")
        XCTAssertEqual(fields["via"], ["1.0 a", "1.1 b  X-Injected: yes"])
        XCTAssertTrue(fields.contains(literalName: "VIA"), "literal names are looked up ignoring case too")
        XCTAssertFalse(fields.contains(literalName: "X-Injected"))
    }

    func testANewValueForAFieldHasItsControlBytesMadeSpaces() {
        var fields: HeaderFields = ["Cookie": "a=1"]
        fields.setValue("a=1\r\nX-Injected: yes", at: 0)
        XCTAssertEqual(fields["Cookie"], ["a=1  X-Injected: yes"])
    }

    func testTheUpstreamHeadSharesNoEditWithTheClientsRequest() throws {
        let (head, framing) = try parseHead("GET / HTTP/1.1\r\nHost: a\r\nConnection: x-hop\r\nX-Hop: 1\r\nAccept: */*\r\n\r\n")
        let (session, made) = upstreamHead(for: head, framing: framing)
        var upstream = made
        upstream.headers.replaceOrAdd(name: "Host", value: "backend")
        XCTAssertEqual(
            self.lines(upstream.headers).filter { !$0.hasPrefix("Via") },
            ["Accept: */*", "X-Forwarded-For: 127.0.0.1", "X-Forwarded-Proto: http", "Host: backend"]
        )
        XCTAssertEqual(self.lines(session.request.headers), ["Host: a", "Connection: x-hop", "X-Hop: 1", "Accept: */*"])
    }
}
