/// A target's active-check state as one 64-bit word of the shared health table: up or
/// down, and the current streak of good or failed probes.
///
/// The all-zero word is "up, no streak": a target nobody has checked yet is served (see
/// `TargetHealthTable` for why).
///
/// Layout: bit 0 down; bits 1...31 consecutive good probes; bits 32...63 consecutive
/// failed probes. Streaks saturate instead of wrapping.
struct ActiveHealthState: Equatable {
    var isDown: Bool
    var successes: UInt32
    var failures: UInt32

    /// What one probe result changed.
    enum Transition: Equatable {
        /// The target was up and has now failed `fall` probes in a row.
        case wentDown
        /// The target was down and has now passed `rise` probes in a row.
        case cameUp
    }

    private static let maxSuccesses: UInt32 = (1 << 31) - 1

    init(isDown: Bool = false, successes: UInt32 = 0, failures: UInt32 = 0) {
        self.isDown = isDown
        self.successes = min(successes, Self.maxSuccesses)
        self.failures = failures
    }

    init(word: UInt64) {
        self.isDown = word & 1 != 0
        self.successes = UInt32(truncatingIfNeeded: word >> 1) & Self.maxSuccesses
        self.failures = UInt32(truncatingIfNeeded: word >> 32)
    }

    var word: UInt64 {
        UInt64(self.failures) << 32 | UInt64(self.successes) << 1 | (self.isDown ? 1 : 0)
    }

    /// Applies one probe result with the upstream's thresholds; returns the transition if
    /// the target flipped.
    mutating func record(success: Bool, rise: Int, fall: Int) -> Transition? {
        if success {
            self.failures = 0
            if self.successes < Self.maxSuccesses { self.successes += 1 }
            if self.isDown, self.successes >= rise {
                self.isDown = false
                return .cameUp
            }
        } else {
            self.successes = 0
            if self.failures < .max { self.failures += 1 }
            if !self.isDown, self.failures >= fall {
                self.isDown = true
                return .wentDown
            }
        }
        return nil
    }
}
