import XCTest

@testable import PylonGateway

final class SipHashTests: XCTestCase {
    func testOneWordHashEqualsTheHashOfItsEightLittleEndianBytes() {
        for word: UInt64 in [0, 1, 0x0123_4567_89AB_CDEF, 1 << 63, .max] {
            let bytes = withUnsafeBytes(of: word.littleEndian) { Array($0) }
            XCTAssertEqual(SipHash.hash(word: word, key: (3, 4)), SipHash.hash(bytes, key: (3, 4)))
        }
    }

    func testOneWordHashDependsOnTheKey() {
        XCTAssertNotEqual(SipHash.hash(word: 7, key: (3, 4)), SipHash.hash(word: 7, key: (4, 3)))
    }
}
