import Foundation
import Logging
import Synchronization

/// How many store reads a replica makes for API keys it does not know to exist: a token bucket
/// that only a key found missing spends (`api.unknown_key_rate_limit`). A request needs no key
/// that exists to cost a store read, so without a bound a flood of made-up keys would put its
/// whole rate on the database (every replica's, on PostgreSQL). Keys the replica knows exist
/// never meet it (`APIKeyService`), and a new key that exists gives its token back, so ordinary
/// traffic never drains it; while a flood has drained it, only a key the replica has not seen
/// yet waits.
final class UnknownKeyBudget: Sendable {
    /// The default reads per second, and how many may come at once.
    static let defaultPerSecond: Double = 100
    static let defaultBurst: Double = 1000
    /// How often the refusals are logged, at most.
    static let warningInterval: TimeInterval = 10
    /// How far behind the last read a clock read is taken for the clock stepped back, not for a
    /// caller that read it a little before another.
    static let stepBack: TimeInterval = 1

    private struct State {
        var tokens: Double
        var updated: Date?
        var refused = 0
        var lastWarning: Date?
    }

    /// Reads per second; nil: no bound (`unknown_key_rate_limit: {noop: {}}`).
    let perSecond: Double?
    let burst: Double
    private let state: Mutex<State>
    private let logger: Logger

    init(
        perSecond: Double? = UnknownKeyBudget.defaultPerSecond, burst: Double = UnknownKeyBudget.defaultBurst,
        logger: Logger = Logger(label: "gatehouse")
    ) {
        self.perSecond = perSecond
        self.burst = burst
        self.state = Mutex(State(tokens: burst))
        self.logger = logger
    }

    /// Takes the token of one read; false when none is left (the read must not happen).
    func take(now: Date) -> Bool {
        guard let perSecond else { return true }
        let (taken, report) = state.withLock { state -> (Bool, Int?) in
            // Callers read the clock before the lock: one a little behind refills nothing, and
            // moves nothing back. A clock stepped back (NTP) counts on from its new time: held
            // where it was, nothing would refill until the clock caught up, and every key this
            // replica has not seen would be answered 429 meanwhile.
            if let updated = state.updated, now < updated - Self.stepBack {
                state.updated = now
                state.lastWarning = state.lastWarning.map { min($0, now) }
            }
            if let updated = state.updated {
                state.tokens = min(burst, state.tokens + max(0, now.timeIntervalSince(updated)) * perSecond)
            }
            state.updated = max(state.updated ?? now, now)
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
                "requests with unknown API keys come faster than api.unknown_key_rate_limit allows: keys this server does not know are answered 429 without a store read until they slow down",
                metadata: ["refused": "\(report)", "per_second": "\(perSecond)"])
        }
        return taken
    }

    /// Gives back the token of a read that found its key.
    func giveBack() {
        state.withLock { $0.tokens = min(burst, $0.tokens + 1) }
    }
}
