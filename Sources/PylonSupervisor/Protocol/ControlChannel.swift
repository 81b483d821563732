import CPylon
#if canImport(Glibc)
import Glibc
#endif

/// One end of a master ↔ worker `socketpair(AF_UNIX, SOCK_SEQPACKET)`: sends and receives
/// whole `ControlMessage`s, each with its descriptors in the same datagram (SCM_RIGHTS).
/// Received descriptors arrive close-on-exec (MSG_CMSG_CLOEXEC).
///
/// A plain value around the fd: the owner decides when to `close()` it.
public struct ControlChannel: Sendable, Hashable {
    public let fd: CInt

    public init(fd: CInt) { self.fd = fd }

    /// A connected pair, both ends close-on-exec.
    public static func makePair() throws -> (ControlChannel, ControlChannel) {
        var fds: [CInt] = [-1, -1]
        guard pylon_seqpacket_pair(&fds) == 0 else { throw SystemError("socketpair(SOCK_SEQPACKET)") }
        return (ControlChannel(fd: fds[0]), ControlChannel(fd: fds[1]))
    }

    public enum Received: Sendable, Equatable {
        case message(ControlMessage, fds: [CInt])
        /// The peer closed its end.
        case closed
        /// Non-blocking channel with nothing to read.
        case wouldBlock
    }

    public func send(_ message: ControlMessage, fds: [CInt] = []) throws {
        guard fds.count <= Int(PYLON_MAX_FDS_PER_MESSAGE) else {
            throw ControlChannelError.tooManyDescriptors(fds.count)
        }
        let bytes = try ControlCodec.encode(message)
        let sent = bytes.withUnsafeBytes { buffer in
            fds.withUnsafeBufferPointer { fdBuffer in
                pylon_send_with_fds(self.fd, buffer.baseAddress, buffer.count, fdBuffer.baseAddress, CInt(fds.count))
            }
        }
        guard sent == bytes.count else { throw SystemError("sendmsg(\(message.kind))") }
    }

    /// Receives one datagram. A message that fails to decode (another version, garbage)
    /// throws `ControlChannelError.undecodable` after closing any descriptors it carried.
    public func receive() throws -> Received {
        var buffer = [UInt8](repeating: 0, count: ControlCodec.headerSize + ControlCodec.maximumBodySize)
        var fds = [CInt](repeating: -1, count: Int(PYLON_MAX_FDS_PER_MESSAGE))
        var fdCount: CInt = 0
        var truncated: CInt = 0
        let received = buffer.withUnsafeMutableBytes { bytes in
            fds.withUnsafeMutableBufferPointer { fdBuffer in
                pylon_recv_with_fds(self.fd, bytes.baseAddress, bytes.count, fdBuffer.baseAddress, CInt(fdBuffer.count), &fdCount, &truncated)
            }
        }
        if received < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            if errno == ECONNRESET { return .closed }
            throw SystemError("recvmsg")
        }
        let descriptors = Array(fds[0..<Int(fdCount)])
        if received == 0 && descriptors.isEmpty { return .closed }
        do throws(ControlCodecError) {
            if truncated != 0 { throw ControlCodecError.tooLarge(received) }
            return .message(try ControlCodec.decode(Array(buffer[0..<received])), fds: descriptors)
        } catch {
            for descriptor in descriptors { Glibc.close(descriptor) }
            throw ControlChannelError.undecodable(error)
        }
    }

    public func close() { Glibc.close(self.fd) }
}

public enum ControlChannelError: Error, CustomStringConvertible {
    case tooManyDescriptors(Int)
    case undecodable(ControlCodecError)

    public var description: String {
        switch self {
        case .tooManyDescriptors(let count): return "\(count) descriptors in one control message (limit \(PYLON_MAX_FDS_PER_MESSAGE))"
        case .undecodable(let error): return "refused control message: \(error)"
        }
    }
}
