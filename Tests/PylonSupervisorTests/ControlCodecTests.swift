import PylonSupervisor
import XCTest

final class ControlCodecTests: XCTestCase {
    private let hello = ControlMessage.Hello(
        generation: 3, workerIndex: 1, listeners: ["http", "@metrics"], configPath: "/etc/pylon.yaml",
        configText: "listeners: []\n\"quoted\" ü", drainTimeoutMilliseconds: 30_000, threads: 2
    )

    func testEveryMessageRoundTrips() throws {
        let messages: [ControlMessage] = [
            .hello(hello), .drain(deadlineMilliseconds: 1500), .stop, .ready(pid: 4242, generation: 3),
            .draining, .drained, .error(message: "cannot resolve upstream"),
        ]
        for message in messages {
            XCTAssertEqual(try ControlCodec.decode(try ControlCodec.encode(message)), message)
        }
    }

    func testHeaderIsMagicVersionAndBigEndianLength() throws {
        let bytes = try ControlCodec.encode(.stop)
        XCTAssertEqual(Array(bytes[0..<4]), Array("PYL".utf8) + [1])
        let length = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        XCTAssertEqual(length, bytes.count - 8)
    }

    func testOtherVersionsAreRefused() throws {
        var bytes = try ControlCodec.encode(.stop)
        bytes[3] = 2
        XCTAssertThrowsError(try ControlCodec.decode(bytes)) { error in
            XCTAssertEqual(error as? ControlCodecError, .unsupportedVersion(2))
            XCTAssertTrue("\(error)".contains("version 2 not supported"))
        }
    }

    func testGarbageIsRefused() throws {
        XCTAssertEqual(Self.error { try ControlCodec.decode([1, 2, 3]) }, .tooShort(3))
        XCTAssertEqual(Self.error { try ControlCodec.decode(Array("XYZ\u{1}\0\0\0\0".utf8)) }, .badMagic)
        var truncated = try ControlCodec.encode(.draining)
        truncated.removeLast()
        XCTAssertEqual(Self.error { try ControlCodec.decode(truncated) }, .lengthMismatch(declared: truncated.count - 7, actual: truncated.count - 8))
        let unknown = Array("PYL\u{1}".utf8) + [0, 0, 0, 15] + Array("{\"type\":\"jump\"}".utf8)
        XCTAssertEqual(Self.error { try ControlCodec.decode(unknown) }, .unknownType("jump"))
        let incomplete = Array("PYL\u{1}".utf8) + [0, 0, 0, 16] + Array("{\"type\":\"ready\"}".utf8)
        guard case .malformed = Self.error({ try ControlCodec.decode(incomplete) }) else { return XCTFail("ready without pid accepted") }
    }

    private static func error(_ body: () throws -> ControlMessage) -> ControlCodecError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? ControlCodecError
        }
    }
}
