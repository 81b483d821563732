import Crypto
import NIOConcurrencyHelpers

/// The Basic credentials a route has already verified, so a client that sends the same user
/// and password on every request pays for the password hash once, not every time.
///
/// PBKDF2 is slow on purpose and runs on the event loop (phases are synchronous and must not
/// hop threads): at 100,000 iterations one check holds the loop, and every connection on it,
/// for tens of milliseconds. With the cache only the first request of each client per worker
/// and the failed attempts pay that; failures are not cached, so put a rate limit on routes
/// with Basic auth, which the gateway checks before auth.
///
/// Entries are HMAC-SHA256 of the credentials under a key made at random for each cache, so
/// neither the memory nor the timing of a lookup holds anything a password could be guessed
/// from offline. The cache is bounded: when full it is emptied, and the clients still calling
/// each pay one verification again. Passwords only change with the config, and a new config
/// means new processes and new caches, so entries never need to expire.
final class VerifiedCredentialCache: Sendable {
    static let defaultCapacity = 4096

    private let capacity: Int
    private let key = SymmetricKey(size: .bits256)
    private let entries = NIOLockedValueBox<Set<HashedAuthenticationCode<SHA256>>>([])

    init(capacity: Int = defaultCapacity) {
        self.capacity = capacity
    }

    func contains(_ credentials: BasicCredentials) -> Bool {
        let entry = self.entry(for: credentials)
        return self.entries.withLockedValue { $0.contains(entry) }
    }

    func insert(_ credentials: BasicCredentials) {
        let entry = self.entry(for: credentials)
        self.entries.withLockedValue { entries in
            if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            entries.insert(entry)
        }
    }

    var count: Int {
        self.entries.withLockedValue { $0.count }
    }

    /// The user name's length goes first so `ab` + `c` and `a` + `bc` never share an entry.
    private func entry(for credentials: BasicCredentials) -> HashedAuthenticationCode<SHA256> {
        var mac = HMAC<SHA256>(key: self.key)
        mac.update(data: withUnsafeBytes(of: UInt64(credentials.user.utf8.count).littleEndian) { Array($0) })
        mac.update(data: Array(credentials.user.utf8))
        mac.update(data: Array(credentials.password.utf8))
        return mac.finalize()
    }
}
