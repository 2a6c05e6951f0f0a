import Logging

/// Tries a store call again while the store cannot be used (`store_unavailable`: a lock held past
/// the store's own wait, a lost connection, a failover, a full disk), for the calls whose failure
/// cannot be undone: those that stand between tokens a provider has just issued, which no one
/// else holds (a refresh that rotated the refresh token, a code exchanged once), and their
/// storing. Any other error fails at once.
struct OutageRetry {
    /// How long to keep trying after the first failure.
    let limit: Duration
    let logger: Logger
    let metadata: Logger.Metadata
    /// Logged (warning) at the first failure, (notice) when a later try succeeds, and (error)
    /// when the time is up.
    let failed: Logger.Message
    let recovered: Logger.Message
    let gaveUp: Logger.Message

    /// Runs `call` until it succeeds, fails otherwise, or `limit` has passed since its first
    /// failure; pauses 100 ms between tries, doubling up to 1 s.
    func run<T>(_ call: () async throws -> T) async throws -> T {
        var giveUpAt: ContinuousClock.Instant?
        var pause = Duration.milliseconds(100)
        while true {
            do {
                let result = try await call()
                if giveUpAt != nil { logger.notice(recovered, metadata: metadata) }
                return result
            } catch let error as GatehouseError where error.code == .storeUnavailable {
                let time = ContinuousClock.now
                let metadata = metadata.merging(["error": "\(error)"]) { $1 }
                if giveUpAt == nil { logger.warning(failed, metadata: metadata) }
                let deadline = giveUpAt ?? time + limit
                giveUpAt = deadline
                guard time + pause < deadline else {
                    logger.error(gaveUp, metadata: metadata)
                    throw error
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }
}
