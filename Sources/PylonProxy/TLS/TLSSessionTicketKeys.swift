import CPylonTLS
import NIOSSL

/// Where a TLS listener's session-ticket keys come from, so that a client can resume its
/// session (an abbreviated handshake, no certificate or key exchange signature) on any
/// process that serves the listener, and after an upgrade replaced them all.
///
/// Without it BoringSSL makes a random key per `SSL_CTX`, private to one process: a ticket
/// from one worker is refused by every other and by every new generation. With it, every
/// process derives the same keys from one shared secret (the gateway keeps it in the
/// service's shared memory, which outlives upgrades):
///
/// - wall-clock time is cut into periods of `rotationPeriod` (12 hours);
/// - period i's AES-128 and HMAC-SHA256 ticket keys are HMAC-SHA256(secret, label ‖ i), with
///   a separate label for each key;
/// - new tickets are sealed with the current period's keys; a ticket sealed in the current
///   period is accepted, one from the previous period accepted and replaced by a fresh one,
///   anything older refused (the client makes a full handshake).
///
/// So keys rotate on their own, at the same moment in every process, with no coordination.
///
/// Forward secrecy: a period's keys open only the tickets of that period, and a ticket is
/// accepted for 12 to 24 hours. But the secret they come from lives as long as the shared
/// memory does — the master's lifetime, across upgrades — and anyone who reads it from a
/// process's memory can derive every period's keys, past ones included. That is the same
/// bound as nginx's default (one random key per master for its lifetime); BoringSSL's own
/// per-process keys rotate every 2 days. With a ticket key, recorded TLS 1.2 traffic of the
/// sessions it sealed can be decrypted; TLS 1.3 resumption always runs a fresh (EC)DHE
/// exchange too (BoringSSL accepts only psk_dhe_ke, and no 0-RTT is enabled), so recorded
/// TLS 1.3 traffic stays safe.
public struct TLSSessionTicketKeys: Sendable, Equatable {
    /// How many bytes the secret has.
    public static let secretLength = Int(PYLON_TLS_TICKET_SECRET_LENGTH)
    /// How long one period's keys seal new tickets; see `PYLON_TLS_TICKET_PERIOD_SECONDS`
    /// for why 12 hours.
    public static let rotationPeriodSeconds = Int(PYLON_TLS_TICKET_PERIOD_SECONDS)

    /// The shared random secret every key is derived from.
    let secret: [UInt8]

    /// Keys derived from `secret`, which must be `secretLength` random bytes shared by every
    /// process that should accept the same tickets; nil if it has another length.
    public init?(secret: [UInt8]) {
        guard secret.count == Self.secretLength else { return nil }
        self.secret = secret
    }
}

extension TLSSessionTicketKeys: CustomStringConvertible {
    /// Never the secret itself.
    public var description: String { "TLSSessionTicketKeys(rotation: \(Self.rotationPeriodSeconds)s)" }
}
