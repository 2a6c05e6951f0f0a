import Logging
import Synchronization

/// Writes each message (by its level and text) at most once per `interval`, saying how many went
/// unsaid since (`unsaid_since_last`). For the pool's own log: PostgresNIO says every failed
/// connection attempt at info, hundreds a second while a database refuses more connections,
/// where one line per 10 s tells as much. Debug and trace lines pass as they are.
struct RepeatBoundingLogHandler: LogHandler {
    /// When each message was last written, and how many went unsaid since.
    final class Said: Sendable {
        let state = Mutex<[String: (at: ContinuousClock.Instant, unsaid: Int)]>([:])
    }

    var inner: any LogHandler
    let interval: Duration
    let said: Said
    var now: @Sendable () -> ContinuousClock.Instant = { .now }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= .info else { return inner.log(event: event) }
        let key = "\(event.level) \(event.message)"
        let now = now()
        let unsaid: Int? = said.state.withLock { said in
            if let last = said[key], last.at.duration(to: now) < interval {
                said[key]?.unsaid += 1
                return nil
            }
            // Messages are a handful of fixed texts; a bound all the same.
            if said.count >= 1000 { said.removeAll() }
            defer { said[key] = (now, 0) }
            return said[key]?.unsaid ?? 0
        }
        guard let unsaid else { return }
        var event = event
        if unsaid > 0 { event.metadata = (event.metadata ?? [:]).merging(["unsaid_since_last": "\(unsaid)"]) { $1 } }
        inner.log(event: event)
    }
}

extension Logger {
    /// This logger, writing each message at most once per `interval` (`RepeatBoundingLogHandler`).
    package func boundingRepeats(
        every interval: Duration = .seconds(10), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) -> Logger {
        var logger = Logger(label: label) { _ in
            RepeatBoundingLogHandler(inner: handler, interval: interval, said: RepeatBoundingLogHandler.Said(), now: now)
        }
        logger.logLevel = logLevel
        return logger
    }
}
