import NIOHPACK
import NIOHTTP1

/// The header blocks Pylon sends on a client's HTTP/2 stream: a response head (`:status`,
/// then its fields) and trailers. Field names go lowercase (RFC 9113 §8.2) and
/// connection-specific fields never go at all (RFC 9113 §8.2.2), whoever added them: a
/// block with either is malformed, and nio-http2 would refuse to send it. The fields named
/// in `unindexed` (lowercase) go without indexing, kept out of the HPACK encoder's dynamic
/// table (see `ProxyServerConfiguration.unindexedResponseFields`). One pass over the
/// fields does all three.
enum HTTP2ResponseHeaderBlock {
    static func head(status: HTTPResponseStatus, fields: HeaderFields, unindexed: [String] = []) -> HPACKHeaders {
        var block = HPACKHeaders()
        block.reserveCapacity(fields.count + 1)
        block.add(name: ":status", value: String(status.code))
        Self.append(fields, unindexed: unindexed, to: &block)
        return block
    }

    static func trailers(_ fields: HTTPHeaders, unindexed: [String] = []) -> HPACKHeaders {
        var block = HPACKHeaders()
        block.reserveCapacity(fields.count)
        Self.append(fields, unindexed: unindexed, to: &block)
        return block
    }

    private static func append(
        _ fields: some Sequence<(name: String, value: String)>, unindexed: [String], to block: inout HPACKHeaders
    ) {
        let nominated = HopByHopHeaders.nominated(in: fields)
        for (name, value) in fields {
            if HopByHopHeaders.isStandard(name) || HopByHopHeaders.isNominated(name, in: nominated) { continue }
            let lowercased = Self.lowercased(name)
            // Usually one name or none: a comparison of two short strings at most.
            block.add(name: lowercased, value: value, indexing: unindexed.contains(lowercased) ? .nonIndexable : .indexable)
        }
    }

    /// `name` in lowercase, copied only when it has an uppercase letter (as HTTP/1.1
    /// upstreams usually send them: `Content-Type`).
    private static func lowercased(_ name: String) -> String {
        name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? name.lowercased() : name
    }
}
