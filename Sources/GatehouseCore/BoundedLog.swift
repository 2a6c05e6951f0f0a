import Logging
import Synchronization

/// Lines that an outage would repeat, said at a bounded rate: the first of a kind at once, then
/// at most one per `interval`, with how many of that kind went unsaid since
/// (`unsaid_since_last`). When a database or a provider is away every request fails the same
/// way; a line each would write one per request, unbuffered, while the replica is in trouble.
package final class BoundedLog<Kind: Hashable & Sendable>: Sendable {
    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let said = Mutex<[Kind: (at: ContinuousClock.Instant, unsaid: Int)]>([:])

    /// A log that says each kind at most once per `interval`. The kinds it keeps are the ones
    /// it was given: keep them few (a database's troubles; a provider's, by provider).
    package init(interval: Duration = .seconds(10), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.interval = interval
        self.now = now
    }

    /// Says `message` at `level` unless a line of its kind was said within the interval; then
    /// only counts it.
    package func log(
        _ kind: Kind, level: Logger.Level = .warning, _ message: Logger.Message, metadata: Logger.Metadata = [:],
        logger: Logger
    ) {
        let time = now()
        let unsaid: Int? = said.withLock { said in
            if let last = said[kind], time - last.at < interval {
                said[kind] = (last.at, last.unsaid + 1)
                return nil
            }
            let unsaid = said[kind]?.unsaid ?? 0
            said[kind] = (time, 0)
            return unsaid
        }
        guard let unsaid else { return }
        var metadata = metadata
        if unsaid > 0 { metadata["unsaid_since_last"] = "\(unsaid)" }
        logger.log(level: level, message, metadata: metadata)
    }
}
