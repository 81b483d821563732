/// The smallest `ProxyHTTP`: every request to one peer, every other phase the protocol's
/// default. What `core-proxy` and head-bench's whole exchange run, so both measure the
/// framework with nothing on top.
package struct SinglePeerProxy: ProxyHTTP {
    package let peer: HTTPPeer

    package init(peer: HTTPPeer) {
        self.peer = peer
    }

    package func makeContext() {}

    package func upstreamPeer(_ session: ProxySession, _ ctx: inout Void) throws -> HTTPPeer { self.peer }
}
