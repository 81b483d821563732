import NIOCore
import NIOHTTP2

/// Tells a dead HTTP/2 upstream connection from a quiet one (`HTTPPeer.http2PingInterval`).
/// A connection that brought nothing for `interval` gets a PING; one that brings nothing
/// within `timeout` after it is dead. Any bytes read count, the PING's ACK among them.
///
/// A multiplexed connection that silently died (a host gone without a FIN, a dropped NAT
/// entry) would otherwise hold every stream on it until its read timeout, and take new
/// ones meanwhile, since it still counts as open.
///
/// Only the decisions live here; `HTTP2UpstreamConnection` owns the timer and the socket.
/// Reads are noted once per read, and the timer re-checks the time when it fires instead
/// of being moved on every read.
struct HTTP2UpstreamLiveness {
    /// What the connection does when its liveness timer fires.
    enum Step: Equatable {
        /// Nothing yet: check again then.
        case wait(until: NIODeadline)
        /// Send a PING now, and check again then.
        case ping(thenCheckAt: NIODeadline)
        /// Nothing came within the timeout after a PING: close the connection.
        case dead
    }

    /// The PING's payload ("pylonliv"), so a capture shows whose it is.
    static let pingData = HTTP2PingData(withInteger: 0x7079_6C6F_6E6C_6976)

    let interval: TimeAmount
    let timeout: TimeAmount
    private var lastReadAt: NIODeadline
    /// When the unanswered PING went out; any read clears it.
    private var pingSentAt: NIODeadline?

    init(interval: TimeAmount, timeout: TimeAmount, now: NIODeadline) {
        self.interval = interval
        self.timeout = timeout
        self.lastReadAt = now
    }

    /// When the first check is due.
    var firstCheck: NIODeadline { self.lastReadAt + self.interval }

    mutating func noteRead(at now: NIODeadline) {
        self.lastReadAt = now
        self.pingSentAt = nil
    }

    mutating func step(at now: NIODeadline) -> Step {
        if let pingSentAt = self.pingSentAt {
            let deadline = pingSentAt + self.timeout
            return now >= deadline ? .dead : .wait(until: deadline)
        }
        let due = self.lastReadAt + self.interval
        guard now >= due else { return .wait(until: due) }
        self.pingSentAt = now
        return .ping(thenCheckAt: now + self.timeout)
    }
}
