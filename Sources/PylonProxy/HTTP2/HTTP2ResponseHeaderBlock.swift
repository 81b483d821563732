import NIOHPACK
import NIOHTTP1

/// The header blocks Pylon sends on a client's HTTP/2 stream: a response head (`:status`,
/// then its fields) and trailers. Field names go lowercase (RFC 9113 §8.2) and
/// connection-specific fields never go at all (RFC 9113 §8.2.2), whoever added them: a
/// block with either is malformed, and nio-http2 would refuse to send it. One pass over
/// the fields does both.
enum HTTP2ResponseHeaderBlock {
    static func head(status: HTTPResponseStatus, fields: HTTPHeaders) -> HPACKHeaders {
        var block: [(String, String)] = []
        block.reserveCapacity(fields.count + 1)
        block.append((":status", String(status.code)))
        Self.append(fields, to: &block)
        return HPACKHeaders(block)
    }

    static func trailers(_ fields: HTTPHeaders) -> HPACKHeaders {
        var block: [(String, String)] = []
        block.reserveCapacity(fields.count)
        Self.append(fields, to: &block)
        return HPACKHeaders(block)
    }

    private static func append(_ fields: HTTPHeaders, to block: inout [(String, String)]) {
        let nominated = HopByHopHeaders.nominated(in: fields)
        for (name, value) in fields {
            if HopByHopHeaders.isStandard(name) || HopByHopHeaders.isNominated(name, in: nominated) { continue }
            block.append((Self.lowercased(name), value))
        }
    }

    /// `name` in lowercase, copied only when it has an uppercase letter (as HTTP/1.1
    /// upstreams usually send them: `Content-Type`).
    private static func lowercased(_ name: String) -> String {
        name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? name.lowercased() : name
    }
}
