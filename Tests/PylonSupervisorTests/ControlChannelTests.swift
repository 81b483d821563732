import Glibc
import PylonSupervisor
import XCTest

/// The SEQPACKET channel with real descriptors: what is sent with a message arrives with it.
final class ControlChannelTests: XCTestCase {
    func testAMessageCarriesItsDescriptors() throws {
        let (master, worker) = try ControlChannel.makePair()
        defer { master.close(); worker.close() }
        var pipeFDs: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&pipeFDs), 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }
        let hello = ControlMessage.Hello(generation: 1, workerIndex: 0, listeners: ["a"], configPath: "c", configText: "t", drainTimeoutMilliseconds: 1, threads: 1)
        try master.send(.hello(hello), fds: [pipeFDs[1]])
        guard case .message(.hello(let received), let fds) = try worker.receive() else { return XCTFail("no hello") }
        XCTAssertEqual(received, hello)
        XCTAssertEqual(fds.count, 1)
        defer { for fd in fds { close(fd) } }
        // The received descriptor is the same pipe, and close-on-exec.
        XCTAssertEqual(write(fds[0], "x", 1), 1)
        var byte: UInt8 = 0
        XCTAssertEqual(read(pipeFDs[0], &byte, 1), 1)
        XCTAssertEqual(byte, UInt8(ascii: "x"))
        XCTAssertEqual(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
    }

    func testOneMessagePerDatagramAndEOF() throws {
        let (master, worker) = try ControlChannel.makePair()
        defer { worker.close() }
        try worker.send(.ready(pid: 7, generation: 2))
        try worker.send(.draining)
        XCTAssertEqual(try master.receive(), .message(.ready(pid: 7, generation: 2), fds: []))
        XCTAssertEqual(try master.receive(), .message(.draining, fds: []))
        master.close()
        let (a, b) = try ControlChannel.makePair()
        a.close()
        XCTAssertEqual(try b.receive(), .closed)
        b.close()
    }
}
