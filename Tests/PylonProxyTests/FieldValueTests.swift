import XCTest

@testable import PylonProxy

final class FieldValueTests: XCTestCase {
    /// The definition the word-at-a-time check must agree with.
    private func reference(_ bytes: [UInt8]) -> Bool {
        bytes.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }

    func testEveryByteValueAtEveryPositionIsJudgedLikeTheByteByByteDefinition() {
        forEveryByteAtEveryPosition { value, _, place in
            let found = value.withUnsafeBytes { FieldValue.hasControlCharacter($0) }
            XCTAssertEqual(found, reference(value), place)
        }
    }

    func testTabsAndObsTextNextToAControlCharacterDoNotHideIt() {
        // Neighbours that trip the word check (tab, bytes from 0x80 up) and a real one after them.
        for neighbour: UInt8 in [0x09, 0x80, 0xFF, 0x7E, 0x20] {
            for control: UInt8 in [0x00, 0x01, 0x0A, 0x0D, 0x1F, 0x7F] {
                let value: [UInt8] = [neighbour, neighbour, control, neighbour, neighbour, neighbour, neighbour, neighbour, 0x61]
                XCTAssertTrue(value.withUnsafeBytes { FieldValue.hasControlCharacter($0) }, "\(control) after \(neighbour)")
            }
            let clean = [UInt8](repeating: neighbour, count: 17)
            XCTAssertEqual(clean.withUnsafeBytes { FieldValue.hasControlCharacter($0) }, reference(clean))
        }
    }

    func testAnEmptyValueHasNone() {
        XCTAssertFalse(FieldValue.hasControlCharacter(UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
