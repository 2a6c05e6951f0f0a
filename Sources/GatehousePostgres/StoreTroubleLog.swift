import Logging
import Synchronization

/// The warnings of a database that cannot serve, said at a bounded rate: the first of a kind at
/// once, then at most one per `interval`, with how many of that kind went unsaid since. In an
/// outage every request fails the same way; a line each would write one per request, unbuffered,
/// while the replica is already in trouble.
final class StoreTroubleLog: Sendable {
    /// What went wrong.
    enum Kind: Sendable, Hashable {
        /// The database could not be reached, or said it cannot serve.
        case unreachable
        /// A statement had no answer within its deadline: a slow database, a lock wait, or a
        /// silent connection.
        case noAnswer
    }

    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let said = Mutex<[Kind: (at: ContinuousClock.Instant, unsaid: Int)]>([:])

    /// A log that says each kind at most once per `interval`.
    init(interval: Duration = .seconds(10), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.interval = interval
        self.now = now
    }

    /// Says `message` at warning unless a line of its kind was said within the interval; then
    /// only counts it.
    func warn(_ kind: Kind, _ message: Logger.Message, metadata: Logger.Metadata = [:], logger: Logger) {
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
        logger.warning(message, metadata: metadata)
    }
}
