// libFuzzer harness for `ProxyProtocolDecoder`.
//
// Every input is decoded one-shot, then fed one byte at a time and in two cuts, under the
// default v2 bound and a small one (64 bytes). The harness traps — which libFuzzer
// reports as a crash and saves the input — when
//  - the decoder itself traps (out-of-bounds, overflow, force-unwrap, …);
//  - a header's reported length is not what it consumed, or exceeds the version's bound;
//  - "need more bytes" is answered for input that can no longer become a header (longer
//    than 107 bytes for v1, or 16 + the bound for v2), or consumes anything;
//  - feeding the same bytes in pieces gives another header, another remainder or another
//    verdict (error or not) than one-shot feeding.
import NIOCore
import PylonProxy

enum Verdict: Equatable {
    case header(ProxyProtocolHeader, remainder: [UInt8])
    case needMoreBytes
    case invalid
}

func decodeOnce(_ bytes: ArraySlice<UInt8>, decoder: ProxyProtocolDecoder) -> Verdict {
    var buffer = ByteBuffer(bytes: bytes)
    do {
        guard let header = try decoder.decode(&buffer) else {
            precondition(buffer.readableBytes == bytes.count, "nil consumed bytes")
            let bound = max(ProxyProtocolDecoder.maxV1Length, 16 + decoder.maxV2Length)
            precondition(bytes.count < bound, "waiting on \(bytes.count) bytes, beyond any header")
            return .needMoreBytes
        }
        precondition(bytes.count - buffer.readableBytes == header.length, "length \(header.length) is not what was consumed")
        switch header.version {
        case .v1: precondition(header.length <= ProxyProtocolDecoder.maxV1Length, "v1 header over 107 bytes")
        case .v2: precondition(header.length <= 16 + decoder.maxV2Length, "v2 header over the bound")
        }
        return .header(header, remainder: Array(buffer.readableBytesView))
    } catch {
        return .invalid
    }
}

/// Feeds `pieces` in order, decoding after each, as the channel handler does.
func decodeSplit(_ pieces: [ArraySlice<UInt8>], decoder: ProxyProtocolDecoder) -> Verdict {
    var buffer = ByteBuffer()
    var fed = 0
    for (index, piece) in pieces.enumerated() {
        buffer.writeBytes(piece)
        fed += piece.count
        do {
            if let header = try decoder.decode(&buffer) {
                for rest in pieces[(index + 1)...] { buffer.writeBytes(rest) }
                return .header(header, remainder: Array(buffer.readableBytesView))
            }
            precondition(buffer.readableBytes == fed, "nil consumed bytes")
        } catch {
            return .invalid
        }
    }
    return .needMoreBytes
}

let decoders = [ProxyProtocolDecoder(), ProxyProtocolDecoder(maxV2Length: 64)]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyProtocol(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    for decoder in decoders {
        let oneShot = decodeOnce(bytes[...], decoder: decoder)
        var patterns: [[ArraySlice<UInt8>]] = [bytes.indices.map { bytes[$0...$0] }]
        if bytes.count > 1 {
            patterns.append([bytes[..<(bytes.count / 2)], bytes[(bytes.count / 2)...]])
            patterns.append([bytes[..<1], bytes[1...]])
        }
        for pieces in patterns {
            let split = decodeSplit(pieces, decoder: decoder)
            precondition(split == oneShot, "split into \(pieces.count) pieces: \(split), one-shot: \(oneShot)")
        }
    }
    return 0
}
