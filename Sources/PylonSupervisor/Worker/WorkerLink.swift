import CPylon
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The worker's side of the control protocol: reads `hello` (and its listener descriptors)
/// from the inherited control socket, reports `ready`/`draining`/`drained`/`error`, and
/// turns what the master says next — or its death — into `WorkerLink.Command`s.
///
/// The master is watched two ways (DESIGN §3): EOF on the control socket (every copy of the
/// master's end closes when it dies), and PR_SET_PDEATHSIG as a backstop, whose signal the
/// caller routes to `parentMayHaveDied()` to recheck `getppid()` (the death signal also fires
/// when the spawning *thread* ends, e.g. when the master re-execs, so it alone proves nothing).
public final class WorkerLink: Sendable {
    public let channel: ControlChannel
    /// The master's pid, as seen at start.
    public let masterPID: Int32

    public enum Command: Sendable, Equatable {
        case drain(deadlineMilliseconds: Int)
        case stop
        /// The master is gone (EOF, or it died): drain with the hello's drain timeout.
        case masterGone
    }

    /// `fd` is the inherited control socket (3 by convention). Arms PDEATHSIG with
    /// `deathSignal` and fails if the master has already gone.
    public init(fd: CInt = 3, deathSignal: Int32) throws {
        self.channel = ControlChannel(fd: fd)
        try Descriptors.setCloseOnExec(fd, true)
        _ = pylon_set_parent_death_signal(deathSignal)
        self.masterPID = getppid()
        if self.masterPID == 1 { throw WorkerLinkError.masterGone }
    }

    /// Blocks until the master's `hello`; returns it with the listener descriptors by name.
    public func receiveHello() throws -> (hello: ControlMessage.Hello, listeners: [String: CInt]) {
        while true {
            switch try self.channel.receive() {
            case .message(.hello(let hello), let fds):
                guard fds.count == hello.listeners.count else {
                    for fd in fds { Glibc.close(fd) }
                    throw WorkerLinkError.protocolViolation("hello names \(hello.listeners.count) listeners but carried \(fds.count) descriptors")
                }
                return (hello, Dictionary(uniqueKeysWithValues: zip(hello.listeners, fds)))
            case .message(let other, let fds):
                for fd in fds { Glibc.close(fd) }
                throw WorkerLinkError.protocolViolation("expected hello, got \(other.kind)")
            case .closed:
                throw WorkerLinkError.masterGone
            case .wouldBlock:
                continue
            }
        }
    }

    /// Best effort: a master that is gone cannot be told anything.
    public func send(_ message: ControlMessage) {
        try? self.channel.send(message)
    }

    /// Reads the master's commands on a thread of its own (a blocking `recvmsg`, so no event
    /// loop is ever blocked) and delivers them until the channel closes.
    public func commands() -> AsyncStream<Command> {
        let (stream, continuation) = AsyncStream<Command>.makeStream()
        let channel = self.channel
        DispatchQueue(label: "pylon.worker.control").async {
            while true {
                let received: ControlChannel.Received
                do {
                    received = try channel.receive()
                } catch ControlChannelError.undecodable(let error) {
                    WorkerLink.log("ignoring control message: \(error)")
                    continue
                } catch {
                    continuation.yield(.masterGone)
                    break
                }
                switch received {
                case .message(.drain(let deadline), let fds):
                    for fd in fds { Glibc.close(fd) }
                    continuation.yield(.drain(deadlineMilliseconds: deadline))
                case .message(.stop, let fds):
                    for fd in fds { Glibc.close(fd) }
                    continuation.yield(.stop)
                case .message(let other, let fds):
                    for fd in fds { Glibc.close(fd) }
                    WorkerLink.log("ignoring unexpected control message \(other.kind)")
                case .closed:
                    continuation.yield(.masterGone)
                    continuation.finish()
                    return
                case .wouldBlock:
                    continue
                }
            }
            continuation.finish()
        }
        return stream
    }

    /// For the death signal: true when the parent really changed (the master died).
    public func parentMayHaveDied() -> Bool {
        getppid() != self.masterPID
    }

    private static func log(_ text: String) {
        var line = "pylon worker: \(text)\n"
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

public enum WorkerLinkError: Error, CustomStringConvertible {
    case masterGone
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .masterGone: return "the master process is gone"
        case .protocolViolation(let detail): return "control protocol: \(detail)"
        }
    }
}
