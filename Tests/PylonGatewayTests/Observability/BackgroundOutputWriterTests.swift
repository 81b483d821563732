import Foundation
import Glibc
import PylonGateway
import XCTest

/// What goes through a `BackgroundOutputWriter` reaches its descriptor in the order it was
/// given, whether queued for the writer's thread or written at once.
final class BackgroundOutputWriterTests: XCTestCase {
    private var readEnd: CInt = -1
    private var writeEnd: CInt = -1

    override func setUpWithError() throws {
        var fds: [CInt] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        (self.readEnd, self.writeEnd) = (fds[0], fds[1])
        // Reads below never wait for more than there is.
        XCTAssertNotEqual(fcntl(self.readEnd, F_SETFL, fcntl(self.readEnd, F_GETFL) | O_NONBLOCK), -1)
    }

    override func tearDown() {
        close(self.readEnd)
        close(self.writeEnd)
    }

    func testQueuedTextIsWrittenByTheWritersThread() {
        let writer = BackgroundOutputWriter(fileDescriptor: self.writeEnd)
        defer { writer.shutdown() }
        writer.write(text: "a line")
        writer.write(line: " and more")
        XCTAssertEqual(self.read(until: "a line and more\n"), "a line and more\n")
    }

    func testWriteNowWritesWhatWasQueuedFirstAndReturnsOnlyOnceBothAreWritten() {
        let writer = BackgroundOutputWriter(fileDescriptor: self.writeEnd)
        defer { writer.shutdown() }
        writer.write(text: "queued, ")
        writer.writeNow(text: "then at once")
        XCTAssertEqual(self.readAvailable(), "queued, then at once")
    }

    func testFlushWritesWhatIsQueuedBeforeReturning() {
        let writer = BackgroundOutputWriter(fileDescriptor: self.writeEnd)
        defer { writer.shutdown() }
        writer.write(line: "before exit")
        writer.flush()
        XCTAssertEqual(self.readAvailable(), "before exit\n")
    }

    func testTextBeyondThePendingLimitIsDroppedAndCounted() {
        let writer = BackgroundOutputWriter(fileDescriptor: self.writeEnd, maxPendingBytes: 8)
        defer { writer.shutdown() }
        writer.write(text: "9 bytes!!")
        writer.write(line: "8 bytes")
        writer.flush()
        XCTAssertEqual(self.readAvailable(), "8 bytes\n")
        XCTAssertEqual(writer.droppedLines, 1)
    }

    func testShutdownWritesWhatIsQueued() {
        let writer = BackgroundOutputWriter(fileDescriptor: self.writeEnd)
        writer.write(line: "last words")
        writer.shutdown()
        XCTAssertEqual(self.readAvailable(), "last words\n")
    }

    /// What the pipe holds now.
    private func readAvailable() -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = Glibc.read(self.readEnd, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }

    /// What the pipe held once it held `expected` or ten seconds passed.
    private func read(until expected: String) -> String {
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while text.count < expected.count, Date() < deadline {
            text += self.readAvailable()
            usleep(5_000)
        }
        return text
    }
}
