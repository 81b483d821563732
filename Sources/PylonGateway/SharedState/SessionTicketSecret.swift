import Atomics

/// The secret every worker of the service derives its TLS session-ticket keys from
/// (`TLSSessionTicketKeys`): 32 random bytes in the shared segment, so that a ticket one
/// worker issued opens on every other, and — the master keeping the segment across
/// `pylon reload` — on every later generation too.
///
/// Set without a lock or a state word to wait on: the secret is four 64-bit words, and each
/// process that needs it offers a random non-zero value for every word with a
/// compare-and-swap from zero (all-zero is empty, as everywhere in the segment). The first
/// offer for a word wins and never changes; a process reads each word through its own swap,
/// which either wrote it or saw the winner. So every process ends up with the same 32
/// bytes, each word drawn by some process's system random generator, and one that dies
/// half-way leaves nobody waiting.
struct SessionTicketSecret {
    static let wordCount = 4
    static let byteCount = wordCount * 8

    /// The secret's words in the mapped segment.
    let words: UnsafeMutableRawBufferPointer

    init(words: UnsafeMutableRawBufferPointer) {
        precondition(words.count >= Self.byteCount)
        self.words = words
    }

    /// The secret, set first if no process has set it yet.
    func claimOrRead() -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        for index in 0..<Self.wordCount {
            let word = UnsafeAtomic<UInt64>(
                at: (self.words.baseAddress! + index * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)
            )
            var offer: UInt64 = 0
            while offer == 0 { offer = random.next() }
            // Relaxed is enough: each word is its own value, published by the swap itself,
            // and no other memory is read on the strength of it.
            let (exchanged, original) = word.compareExchange(expected: 0, desired: offer, ordering: .relaxed)
            withUnsafeBytes(of: (exchanged ? offer : original).littleEndian) { bytes += $0 }
        }
        return bytes
    }
}

extension SharedMemorySegment {
    /// The service's TLS session-ticket secret, the same in every process that maps this
    /// segment; set by whichever asks first.
    func sessionTicketSecret() -> [UInt8] {
        SessionTicketSecret(words: self.sessionTicketSecretWords).claimOrRead()
    }
}
