import Foundation
import Logging
import Synchronization

/// How many store reads a replica makes for API keys it has never found valid: a token bucket
/// that only a key found missing spends. A request needs no key that exists to cost a store
/// read, so without a bound a flood of made-up keys would put its whole rate on the database
/// (every replica's, on PostgreSQL). Keys this replica has found valid before never meet it
/// (`APIKeyService`), and a new key that exists gives its token back, so ordinary traffic never
/// drains it; while a flood has drained it, only a key this replica has not seen yet waits.
final class UnknownKeyBudget: Sendable {
    /// Reads for missing keys per second, and how many may come at once.
    static let perSecond: Double = 100
    static let burst: Double = 1000
    /// How often the refusals are logged, at most.
    static let warningInterval: TimeInterval = 10

    private struct State {
        var tokens = UnknownKeyBudget.burst
        var updated: Date?
        var refused = 0
        var lastWarning: Date?
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Takes the token of one read; false when none is left (the read must not happen).
    func take(now: Date) -> Bool {
        let (taken, report) = state.withLock { state -> (Bool, Int?) in
            if let updated = state.updated {
                state.tokens = min(Self.burst, state.tokens + max(0, now.timeIntervalSince(updated)) * Self.perSecond)
            }
            state.updated = now
            if state.tokens >= 1 {
                state.tokens -= 1
                return (true, nil)
            }
            state.refused += 1
            guard state.lastWarning.map({ now.timeIntervalSince($0) >= Self.warningInterval }) ?? true else {
                return (false, nil)
            }
            state.lastWarning = now
            defer { state.refused = 0 }
            return (false, state.refused)
        }
        if let report {
            logger.warning(
                "requests with unknown API keys come faster than \(Int(Self.perSecond)) a second: keys this server has not seen valid before are answered 429 without a store read until they slow down",
                metadata: ["refused": "\(report)"])
        }
        return taken
    }

    /// Gives back the token of a read that found its key.
    func giveBack() {
        state.withLock { $0.tokens = min(Self.burst, $0.tokens + 1) }
    }
}
