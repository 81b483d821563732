#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Frames `ControlMessage`s: one message per SEQPACKET datagram,
///
///     "P" "Y" "L" <version: UInt8>  <body length: UInt32 big-endian>  <body: JSON>
///
/// JSON because the messages are rare and small, and readable in a packet dump. A datagram
/// with another magic or version is refused (`ControlCodecError`), never guessed at.
public enum ControlCodec {
    public static let magic: [UInt8] = Array("PYL".utf8)
    public static let version: UInt8 = 1
    public static let headerSize = 8
    /// Largest body accepted (a hello carries the config text).
    public static let maximumBodySize = 1 << 20

    public static func encode(_ message: ControlMessage) throws(ControlCodecError) -> [UInt8] {
        let body: Data
        do {
            body = try JSONEncoder().encode(Envelope(message))
        } catch {
            throw .malformed("cannot encode \(message.kind): \(error)")
        }
        guard body.count <= maximumBodySize else { throw .tooLarge(body.count) }
        var bytes = magic
        bytes.append(version)
        let length = UInt32(body.count)
        bytes += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        bytes += body
        return bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ControlCodecError) -> ControlMessage {
        guard bytes.count >= headerSize else { throw .tooShort(bytes.count) }
        guard Array(bytes[0..<3]) == magic else { throw .badMagic }
        guard bytes[3] == version else { throw .unsupportedVersion(bytes[3]) }
        let length = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        guard length <= maximumBodySize else { throw .tooLarge(length) }
        guard bytes.count - headerSize == length else { throw .lengthMismatch(declared: length, actual: bytes.count - headerSize) }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(bytes[headerSize...]))
        } catch {
            throw .malformed("\(error)")
        }
        return try envelope.decoded()
    }

    /// The JSON shape: `{"type": "...", ...fields of that type}`.
    private struct Envelope: Codable {
        var type: String
        var hello: ControlMessage.Hello?
        var deadlineMilliseconds: Int?
        var pid: Int32?
        var generation: Int?
        var message: String?

        init(_ message: ControlMessage) {
            self.type = message.kind
            switch message {
            case .hello(let hello): self.hello = hello
            case .drain(let deadline): self.deadlineMilliseconds = deadline
            case .ready(let pid, let generation):
                self.pid = pid
                self.generation = generation
            case .error(let text): self.message = text
            case .stop, .draining, .drained: break
            }
        }

        func decoded() throws(ControlCodecError) -> ControlMessage {
            switch type {
            case "hello":
                guard let hello else { throw .malformed("hello without body") }
                return .hello(hello)
            case "drain":
                guard let deadlineMilliseconds, deadlineMilliseconds >= 0 else { throw .malformed("drain without deadline") }
                return .drain(deadlineMilliseconds: deadlineMilliseconds)
            case "stop": return .stop
            case "ready":
                guard let pid, let generation else { throw .malformed("ready without pid/generation") }
                return .ready(pid: pid, generation: generation)
            case "draining": return .draining
            case "drained": return .drained
            case "error": return .error(message: message ?? "")
            default: throw .unknownType(type)
            }
        }
    }
}

public enum ControlCodecError: Error, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case badMagic
    case unsupportedVersion(UInt8)
    case tooLarge(Int)
    case lengthMismatch(declared: Int, actual: Int)
    case unknownType(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .tooShort(let count): return "control message too short (\(count) bytes)"
        case .badMagic: return "not a pylon control message (bad magic)"
        case .unsupportedVersion(let version):
            return "control protocol version \(version) not supported (this binary speaks \(ControlCodec.version))"
        case .tooLarge(let count): return "control message too large (\(count) bytes)"
        case .lengthMismatch(let declared, let actual): return "control message length \(declared) but \(actual) bytes"
        case .unknownType(let type): return "unknown control message type \(type.debugDescription)"
        case .malformed(let detail): return "malformed control message: \(detail)"
        }
    }
}
