import Logging
import NIOCore

/// HTTP/2 upstream connections of one event loop, by pool key, and the requests waiting
/// for a stream. Confined to its event loop, like the `UpstreamPool` that owns it.
///
/// A request gets a stream on the oldest connection with room for one, so streams gather
/// on few connections and the others go idle and close. When every connection to the key
/// is full (the upstream's `SETTINGS_MAX_CONCURRENT_STREAMS`) or none exists, the request
/// waits and one more connection is opened; waiting requests are served in order as
/// connections become ready or streams end. A failed connect fails the requests waiting
/// for it (each may then try another target, like any failed connect).
final class HTTP2UpstreamPool {
    typealias Completion = (Result<UpstreamConnection, ProxyError>) -> Void

    private struct Waiter {
        var peer: HTTPPeer
        var completion: Completion
    }

    let eventLoop: any EventLoop
    private let logger: Logger
    /// Connections that take streams (ready, possibly full), oldest first.
    private var connections: [UpstreamPoolKey: [HTTP2UpstreamConnection]] = [:]
    /// Requests waiting for a stream, in arrival order.
    private var waiters: [UpstreamPoolKey: CircularBuffer<Waiter>] = [:]
    /// Connections being set up (TCP, TLS, the upstream's first SETTINGS).
    private var connecting: [UpstreamPoolKey: Int] = [:]

    init(eventLoop: any EventLoop, logger: Logger) {
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// A stream to `peer` for one request, on a connection shared with other requests.
    func openStream(_ peer: HTTPPeer, completion: @escaping Completion) {
        let key = peer.poolKey
        if self.waiters[key] == nil, let connection = self.connections[key]?.first(where: \.canOpenStream) {
            connection.openStream(for: peer, completion: completion)
            return
        }
        self.waiters[key, default: []].append(Waiter(peer: peer, completion: completion))
        if self.connecting[key] == nil { self.connect(peer) }
    }

    /// Hands streams to waiting requests while connections have room; opens another
    /// connection for those left over.
    private func serveWaiters(_ key: UpstreamPoolKey) {
        // Re-read on every turn: a completion may come back here (a request that fails at
        // once and tries again).
        while let waiter = self.waiters[key]?.first {
            guard let connection = self.connections[key]?.first(where: \.canOpenStream) else {
                if self.connecting[key] == nil { self.connect(waiter.peer) }
                return
            }
            self.waiters[key]?.removeFirst()
            if self.waiters[key]?.isEmpty == true { self.waiters[key] = nil }
            connection.openStream(for: waiter.peer, completion: waiter.completion)
        }
    }

    private func connect(_ peer: HTTPPeer) {
        let key = peer.poolKey
        self.connecting[key, default: 0] += 1
        HTTP2UpstreamConnector.connect(peer, on: self.eventLoop, logger: self.logger) { [self] result in
            self.connecting[key]! -= 1
            if self.connecting[key] == 0 { self.connecting[key] = nil }
            switch result {
            case .success(let connection) where connection.state == .ready && connection.maxConcurrentStreams > 0:
                connection.pool = self
                self.connections[key, default: []].append(connection)
                self.serveWaiters(key)
            case .success(let connection):
                let allowsNone = connection.state == .ready
                connection.close()
                self.failWaiters(
                    key,
                    ProxyError(
                        .connectFailed,
                        allowsNone
                            ? "upstream \(peer) allows no HTTP/2 streams (SETTINGS_MAX_CONCURRENT_STREAMS 0)"
                            : "upstream \(peer) ended the HTTP/2 connection before it was ready"
                    )
                )
            case .failure(let error):
                self.failWaiters(key, error)
            }
        }
    }

    /// Fails the requests waiting for `key`, unless another connection is still being set
    /// up for them.
    private func failWaiters(_ key: UpstreamPoolKey, _ error: ProxyError) {
        guard self.connecting[key] == nil, let waiting = self.waiters.removeValue(forKey: key) else { return }
        for waiter in waiting {
            waiter.completion(.failure(error))
        }
    }

    // MARK: Told by connections

    /// `connection` has room for more streams (one ended, or the upstream raised its limit).
    func streamsAvailable(on connection: HTTP2UpstreamConnection) {
        if self.waiters[connection.poolKey] != nil { self.serveWaiters(connection.poolKey) }
    }

    /// `connection` takes no more streams (GOAWAY, an error, idle) or closed.
    func connectionRetired(_ connection: HTTP2UpstreamConnection) {
        let key = connection.poolKey
        guard let index = self.connections[key]?.firstIndex(where: { $0 === connection }) else { return }
        self.connections[key]?.remove(at: index)
        if self.connections[key]?.isEmpty == true { self.connections[key] = nil }
        if self.waiters[key] != nil { self.serveWaiters(key) }
    }
}
