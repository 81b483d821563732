import NIOCore
import XCTest

@testable import PylonProxy

/// `ProxyProtocolDecoder`: valid v1 and v2 headers (IPv4, IPv6, UNKNOWN, LOCAL, TLVs)
/// decode to their addresses and leave what follows untouched; headers split across reads
/// at any byte decode the same; everything else is an error, within fixed bounds.
final class ProxyProtocolDecoderTests: XCTestCase {
    private let decoder = ProxyProtocolDecoder()

    /// Decodes `bytes` in one read; the bytes left over, too.
    private func decode(_ bytes: [UInt8], decoder: ProxyProtocolDecoder? = nil) throws -> (ProxyProtocolHeader?, [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        let header = try (decoder ?? self.decoder).decode(&buffer)
        return (header, Array(buffer.readableBytesView))
    }

    private func decode(_ text: String) throws -> (ProxyProtocolHeader?, [UInt8]) {
        try self.decode(Array(text.utf8))
    }

    private func assertInvalid(_ bytes: [UInt8], containing fragment: String? = nil, decoder: ProxyProtocolDecoder? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try self.decode(bytes, decoder: decoder), file: file, line: line) { error in
            guard let fragment else { return }
            XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
        }
    }

    private func assertInvalid(_ text: String, containing fragment: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        self.assertInvalid(Array(text.utf8), containing: fragment, file: file, line: line)
    }

    private static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// A v2 header: signature, version 2 with `command`, `family`, then `block`.
    private static func v2(command: UInt8 = 1, family: UInt8, block: [UInt8]) -> [UInt8] {
        signature + [0x20 | command, family, UInt8(block.count >> 8), UInt8(block.count & 0xFF)] + block
    }

    private static func port(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    // MARK: Version 1

    func testV1TCP4DecodesAddressesAndLeavesTheRequest() throws {
        let (header, rest) = try decode("PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\r\nGET / HTTP/1.1\r\n")
        let decoded = try XCTUnwrap(header)
        XCTAssertEqual(decoded.version, .v1)
        XCTAssertEqual(decoded.source?.ipAddress, "203.0.113.7")
        XCTAssertEqual(decoded.source?.port, 56324)
        XCTAssertEqual(decoded.destination?.ipAddress, "192.0.2.1")
        XCTAssertEqual(decoded.destination?.port, 443)
        XCTAssertEqual(decoded.length, "PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\r\n".utf8.count)
        XCTAssertEqual(String(decoding: rest, as: UTF8.self), "GET / HTTP/1.1\r\n")
    }

    func testV1TCP6DecodesAddresses() throws {
        let (header, rest) = try decode("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n")
        XCTAssertEqual(header?.source?.ipAddress, "2001:db8::1")
        XCTAssertEqual(header?.source?.port, 0)
        XCTAssertEqual(header?.destination?.ipAddress, "::1")
        XCTAssertEqual(header?.destination?.port, 65535)
        XCTAssertEqual(rest, [])
    }

    func testV1UnknownCarriesNoAddressAndIgnoresTheRestOfTheLine() throws {
        let (short, shortRest) = try decode("PROXY UNKNOWN\r\nX")
        XCTAssertEqual(short, ProxyProtocolHeader(version: .v1, source: nil, destination: nil, length: 15))
        XCTAssertEqual(shortRest, Array("X".utf8))
        let long = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
        XCTAssertEqual(long.utf8.count, ProxyProtocolDecoder.maxV1Length, "the specification's worst case")
        let (header, _) = try decode(long)
        XCTAssertNotNil(header)
        XCTAssertNil(header?.source)
    }

    func testV1FieldsAreStrict() {
        assertInvalid("PROXY TCP4 203.0.113.7 192.0.2.1 56324\r\n", containing: "expected")
        assertInvalid("PROXY TCP4 203.0.113.7  192.0.2.1 1 2\r\n")
        assertInvalid("PROXY TCP4 203.0.113.7 192.0.2.1 1 2 \r\n")
        assertInvalid("PROXY TCP4 203.0.113.07 192.0.2.1 1 2\r\n", containing: "address")
        assertInvalid("PROXY TCP4 256.0.0.1 192.0.2.1 1 2\r\n", containing: "address")
        assertInvalid("PROXY TCP4 1.2.3 192.0.2.1 1 2\r\n", containing: "address")
        assertInvalid("PROXY TCP4 ::1 192.0.2.1 1 2\r\n", containing: "address")
        assertInvalid("PROXY TCP6 203.0.113.7 ::1 1 2\r\n", containing: "address")
        assertInvalid("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", containing: "address")
        assertInvalid("PROXY TCP6 2001:db8:::1 ::1 1 2\r\n", containing: "address")
        assertInvalid("PROXY TCP4 1.2.3.4 5.6.7.8 65536 1\r\n", containing: "port")
        assertInvalid("PROXY TCP4 1.2.3.4 5.6.7.8 080 1\r\n", containing: "port")
        assertInvalid("PROXY TCP4 1.2.3.4 5.6.7.8 -1 1\r\n", containing: "port")
        assertInvalid("PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n", containing: "port")
        assertInvalid("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", containing: "unknown protocol")
        assertInvalid("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", containing: "unknown protocol")
        assertInvalid("PROXY \r\n", containing: "unknown protocol")
    }

    func testV1LineEndingsAndBytesAreStrict() {
        assertInvalid("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", containing: "0xa")
        assertInvalid("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", containing: "CR not followed by LF")
        assertInvalid(Array("PROXY TCP4 1.2.3.4\u{0} 5.6.7.8 1 2\r\n".utf8), containing: "0x0")
        assertInvalid(Array("PROXY UNKNOWN caf".utf8) + [0xC3, 0xA9] + Array("\r\n".utf8))
    }

    func testV1WithoutCRLFWithin107BytesIsRejectedAndShorterWaits() throws {
        let waiting = "PROXY UNKNOWN " + String(repeating: "a", count: ProxyProtocolDecoder.maxV1Length - 2 - 14)
        XCTAssertEqual(waiting.utf8.count, 105)
        XCTAssertNil(try decode(waiting).0, "105 bytes without CRLF: the CR may still come")
        XCTAssertNil(try decode(waiting + "\r").0, "a CR at the last allowed place waits for its LF")
        XCTAssertNotNil(try decode(waiting + "\r\n").0)
        assertInvalid(waiting + "a", containing: "no CRLF within 107 bytes")
        assertInvalid(waiting + "a\r\n", containing: "no CRLF within 107 bytes")
        assertInvalid("PROXY UNKNOWN " + String(repeating: "a", count: 4000), containing: "no CRLF")
    }

    // MARK: Version 2

    func testV2ProxyTCP4DecodesAddressesAndLeavesTheRequest() throws {
        let block: [UInt8] = [203, 0, 113, 7] + [192, 0, 2, 1] + Self.port(56324) + Self.port(443)
        let bytes = Self.v2(family: 0x11, block: block) + Array("GET /".utf8)
        let (header, rest) = try decode(bytes)
        let decoded = try XCTUnwrap(header)
        XCTAssertEqual(decoded.version, .v2)
        XCTAssertEqual(decoded.source?.ipAddress, "203.0.113.7")
        XCTAssertEqual(decoded.source?.port, 56324)
        XCTAssertEqual(decoded.destination?.ipAddress, "192.0.2.1")
        XCTAssertEqual(decoded.destination?.port, 443)
        XCTAssertEqual(decoded.length, 28)
        XCTAssertEqual(rest, Array("GET /".utf8))
    }

    func testV2ProxyTCP6DecodesAddresses() throws {
        let source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        let destination: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let (header, rest) = try decode(Self.v2(family: 0x21, block: source + destination + Self.port(1) + Self.port(2)))
        XCTAssertEqual(header?.source?.ipAddress, "2001:db8::1")
        XCTAssertEqual(header?.source?.port, 1)
        XCTAssertEqual(header?.destination?.ipAddress, "::1")
        XCTAssertEqual(header?.destination?.port, 2)
        XCTAssertEqual(rest, [])
    }

    func testV2TLVsAfterTheAddressesAreSkipped() throws {
        let addresses: [UInt8] = [10, 0, 0, 1] + [10, 0, 0, 2] + Self.port(1000) + Self.port(80)
        // PP2_TYPE_AUTHORITY "example.com", then an AWS-style vendor TLV.
        let tlvs: [UInt8] = [0x02, 0x00, 0x0B] + Array("example.com".utf8) + [0xEA, 0x00, 0x03, 0x01, 0x02, 0x03]
        let (header, rest) = try decode(Self.v2(family: 0x11, block: addresses + tlvs) + [0x47])
        XCTAssertEqual(header?.source?.ipAddress, "10.0.0.1")
        XCTAssertEqual(header?.length, 16 + addresses.count + tlvs.count)
        XCTAssertEqual(rest, [0x47], "only the request's first byte remains")
    }

    func testV2LocalKeepsTheConnectionsAddressesAndSkipsItsBlock() throws {
        let (empty, emptyRest) = try decode(Self.v2(command: 0, family: 0x00, block: []) + [0x47])
        XCTAssertEqual(empty, ProxyProtocolHeader(version: .v2, source: nil, destination: nil, length: 16))
        XCTAssertEqual(emptyRest, [0x47])
        // A LOCAL header may still carry a block: it must be skipped, not assumed empty.
        let block: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]
        let (withBlock, rest) = try decode(Self.v2(command: 0, family: 0x11, block: block) + [0x47])
        XCTAssertNil(withBlock?.source)
        XCTAssertEqual(withBlock?.length, 28)
        XCTAssertEqual(rest, [0x47])
    }

    func testV2UnspecUDPAndUnixFamiliesCarryNoAddress() throws {
        for family: UInt8 in [0x00, 0x12, 0x22, 0x31, 0x32] {
            let (header, _) = try decode(Self.v2(family: family, block: Array(repeating: 7, count: 216)))
            XCTAssertNotNil(header, "family 0x\(String(family, radix: 16))")
            XCTAssertNil(header?.source, "family 0x\(String(family, radix: 16))")
        }
    }

    func testV2FixedFieldsAreStrict() {
        let block: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]
        var badVersion = Self.v2(family: 0x11, block: block)
        badVersion[12] = 0x11
        assertInvalid(badVersion, containing: "version 1")
        var badCommand = Self.v2(family: 0x11, block: block)
        badCommand[12] = 0x22
        assertInvalid(badCommand, containing: "unknown command 2")
        for family: UInt8 in [0x01, 0x10, 0x13, 0x23, 0x33, 0x41, 0xFF] {
            assertInvalid(Self.v2(family: family, block: block), containing: "unknown address family")
        }
        assertInvalid(Self.v2(family: 0x11, block: Array(block.prefix(11))), containing: "cannot hold")
        assertInvalid(Self.v2(family: 0x21, block: Array(repeating: 0, count: 35)), containing: "cannot hold")
    }

    func testV2LengthIsBoundedBeforeWaitingForTheBlock() {
        // Only the 16 fixed bytes arrived: an oversize length is refused at once, not awaited.
        let announced = ProxyProtocolDecoder.defaultMaxV2Length + 1
        let fixed = Self.signature + [0x21, 0x11, UInt8(announced >> 8), UInt8(announced & 0xFF)]
        assertInvalid(fixed, containing: "more than the 4096 allowed")
        assertInvalid(Self.signature + [0x21, 0x11, 0xFF, 0xFF])
        let small = ProxyProtocolDecoder(maxV2Length: 64)
        assertInvalid(Self.v2(family: 0x11, block: Array(repeating: 0, count: 65)), containing: "64 allowed", decoder: small)
        XCTAssertNoThrow(try decode(Self.v2(family: 0x11, block: Array(repeating: 0, count: 64)), decoder: small))
    }

    func testV2WaitsForTheWholeBlock() throws {
        let bytes = Self.v2(family: 0x11, block: [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2])
        var buffer = ByteBuffer(bytes: bytes.dropLast())
        XCTAssertNil(try decoder.decode(&buffer))
        XCTAssertEqual(buffer.readableBytes, bytes.count - 1, "nothing is consumed while waiting")
    }

    // MARK: Neither

    func testAnythingElseIsRejectedAsSoonAsItDiffers() {
        assertInvalid("GET / HTTP/1.1\r\nHost: a\r\n\r\n", containing: "not a PROXY protocol header")
        assertInvalid("PROXZ TCP4", containing: "expected \"PROXY \"")
        assertInvalid([0x0D, 0x0A, 0x0D, 0x0A, 0x01], containing: "v2 signature")
        assertInvalid([0x16, 0x03, 0x01, 0x00], containing: "not a PROXY protocol header")
        assertInvalid("\r\n\r\nGET / HTTP/1.1\r\n", containing: "v2 signature")
    }

    func testPrefixesOfAHeaderWaitWithoutConsuming() throws {
        for text in ["", "P", "PROX", "PROXY", "PROXY TCP4 1.2.3.4"] {
            var buffer = ByteBuffer(string: text)
            XCTAssertNil(try decoder.decode(&buffer), text)
            XCTAssertEqual(buffer.readableBytes, text.utf8.count, text)
        }
        let fixed = Self.signature + [0x21, 0x11, 0x00, 0x0C]
        for count in 0..<16 {
            var buffer = ByteBuffer(bytes: fixed.prefix(count))
            XCTAssertNil(try decoder.decode(&buffer), "\(count) bytes of a v2 header")
        }
    }

    // MARK: Split across reads

    func testEveryValidHeaderDecodesTheSameWhateverTheSplit() throws {
        let samples: [[UInt8]] = [
            Array("PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\r\nGET / HTTP/1.1\r\n".utf8),
            Array("PROXY TCP6 2001:db8::1 ::1 0 65535\r\nX".utf8),
            Array("PROXY UNKNOWN\r\n".utf8),
            Self.v2(family: 0x11, block: [203, 0, 113, 7, 192, 0, 2, 1, 0xDC, 0x04, 0x01, 0xBB, 0x02, 0x00, 0x01, 0x61]) + [0x47, 0x45],
            Self.v2(command: 0, family: 0x00, block: []),
        ]
        for sample in samples {
            let (whole, wholeRest) = try decode(sample)
            let expected = try XCTUnwrap(whole)
            for cut in 0...sample.count {
                var buffer = ByteBuffer(bytes: sample[..<cut])
                var header = try decoder.decode(&buffer)
                if header == nil {
                    XCTAssertEqual(buffer.readableBytes, cut, "nothing consumed before the header is complete")
                    buffer.writeBytes(sample[cut...])
                    header = try decoder.decode(&buffer)
                } else {
                    buffer.writeBytes(sample[cut...])
                }
                XCTAssertEqual(header, expected, "cut at \(cut)")
                XCTAssertEqual(Array(buffer.readableBytesView), wholeRest, "cut at \(cut)")
            }
            // One byte at a time.
            var buffer = ByteBuffer()
            var header: ProxyProtocolHeader?
            for byte in sample where header == nil {
                buffer.writeInteger(byte)
                header = try decoder.decode(&buffer)
            }
            XCTAssertEqual(header, expected)
        }
    }

    func testGarbageNeverTrapsAndAlwaysEndsInAnErrorWithinTheBound() {
        // Deterministic pseudo-random inputs, with and without a valid-looking start.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let starts: [[UInt8]] = [[], Array("PROXY ".utf8), Array("PROXY TCP4 ".utf8), Self.signature, Self.signature + [0x21]]
        for round in 0..<2000 {
            var bytes = starts[round % starts.count]
            let count = Int(next() % 300)
            for _ in 0..<count { bytes.append(UInt8(truncatingIfNeeded: next())) }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                if let header = try decoder.decode(&buffer) {
                    XCTAssertEqual(buffer.readableBytes, bytes.count - header.length)
                } else {
                    // Waiting is only allowed while a header could still be completing.
                    XCTAssertLessThan(bytes.count, 16 + ProxyProtocolDecoder.defaultMaxV2Length, "round \(round)")
                    XCTAssertEqual(buffer.readableBytes, bytes.count)
                }
            } catch {}
        }
    }
}
