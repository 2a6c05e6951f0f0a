import Foundation
import Logging
import Synchronization

/// How many wrong keys `/metrics` takes before it stops comparing the scrape token: a token
/// bucket that only a request with neither the token nor a key the server knows spends. While it
/// is empty the token is not compared, so a correct guess answers 429 like a wrong one and a run
/// of guesses cannot tell them apart faster than the bucket refills. Prometheus, with the token,
/// never spends it; a flood of wrong ones darkens only the scrape (admin keys still open
/// `/metrics`), which its own alerts show.
final class ScrapeGuesses: Sendable {
    /// Wrong keys a second, and how many may come at once.
    static let perSecond: Double = 1
    static let burst: Double = 20
    /// How often the refusals are logged, at most.
    static let warningInterval: Duration = .seconds(10)

    private struct State {
        var tokens = ScrapeGuesses.burst
        var updated: ContinuousClock.Instant?
        var lastWarning: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger = Logger(label: "gatehouse")) {
        self.logger = logger
    }

    /// Takes one token before a comparison: nil when taken (the token may be compared), else the
    /// seconds until one is left. Taken before, not spent after, so that requests arriving while
    /// a guess's key lookup runs are not compared for free. Warns (at most every
    /// `warningInterval`) while it refuses.
    func take(now: ContinuousClock.Instant = .now) -> Int? {
        let (wait, warn) = state.withLock { state -> (Int?, Bool) in
            refill(&state, now: now)
            if state.tokens >= 1 {
                state.tokens -= 1
                return (nil, false)
            }
            let wait = max(1, Int(((1 - state.tokens) / Self.perSecond).rounded(.up)))
            guard state.lastWarning.map({ $0.duration(to: now) >= Self.warningInterval }) ?? true else { return (wait, false) }
            state.lastWarning = now
            return (wait, true)
        }
        if warn {
            logger.warning(
                "wrong keys at /metrics come faster than \(Self.perSecond) a second: metrics.token is not compared (429) until they slow down; admin keys still open /metrics"
            )
        }
        return wait
    }

    /// Gives back a token taken for a request that was no guess: the token itself, or a key that
    /// exists.
    func refund(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            refill(&state, now: now)
            state.tokens = min(Self.burst, state.tokens + 1)
        }
    }

    private func refill(_ state: inout State, now: ContinuousClock.Instant) {
        if let updated = state.updated, updated < now {
            state.tokens = min(Self.burst, state.tokens + updated.duration(to: now).timeInterval * Self.perSecond)
        }
        state.updated = max(state.updated ?? now, now)
    }
}
