import GatehouseCore
import Logging
import PostgresNIO
import ServiceLifecycle

/// One `LISTEN` connection per replica: every change another replica announces reaches this
/// replica's `ChangeHub`. Each time the channel is up (the first time too) the hub hears
/// `everything`: every parked long-poll re-checks its flow and every cache is dropped, so no
/// wake is lost while it was gone. While it is down (`channelLost`), the caches keep entries
/// for a second only: a replica that cannot hear the others serves what the store says.
///
/// The connection is its own, outside the serving pool: after an outage the pool backs off
/// between attempts, and a LISTEN queued behind the requests came back only 10-15 s after the
/// database did. Here it is tried again every `retryDelay`.
package struct PostgresListener: Service {
    let settings: PostgresSettings
    let hub: ChangeHub
    let logger: Logger
    let retryDelay: Duration

    /// A listener on the database `settings` reach.
    package init(settings: PostgresSettings, hub: ChangeHub, logger: Logger, retryDelay: Duration = .seconds(1)) {
        self.settings = settings
        self.hub = hub
        self.logger = logger
        self.retryDelay = retryDelay
    }

    /// Listens until shutdown, connecting again whenever the connection is lost.
    package func run() async throws {
        await cancelWhenGracefulShutdown {
            // Since when it has been down, and when that was last said at warning: an outage is
            // one warning (and one a minute while it lasts), not one a second.
            var down: (since: ContinuousClock.Instant, said: ContinuousClock.Instant, tries: Int)?
            var everUp = false
            while !Task.isCancelled {
                var failure: String
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: try settings.connectionConfiguration(), id: 0, logger: logger)
                    do {
                        try await connection.listen(on: PostgresStore.channel) { changes in
                            // Up (a connection that cannot LISTEN is still down).
                            everUp = true
                            if let outage = down {
                                down = nil
                                logger.notice(
                                    "change channel back: re-checking parked flows and caches",
                                    metadata: [
                                        "down_seconds": "\(Self.seconds(outage.since.duration(to: .now)))",
                                        "tries": "\(outage.tries)",
                                    ])
                            }
                            await hub.deliver(.everything)
                            for try await notification in changes {
                                if let change = StoreChange(payload: notification.payload) { await hub.deliver(change) }
                            }
                        }
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                    failure = "the connection ended"
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    failure = String(reflecting: error)
                }
                let now = ContinuousClock.now
                if var outage = down {
                    outage.tries += 1
                    if outage.said.duration(to: now) >= .seconds(60) {
                        outage.said = now
                        logger.warning(
                            "change channel still down; reconnecting (caches keep entries for 1 s meanwhile)",
                            metadata: [
                                "down_seconds": "\(Self.seconds(outage.since.duration(to: now)))", "tries": "\(outage.tries)",
                                "error": "\(failure.prefix(200))",
                            ])
                    } else {
                        logger.debug("change channel still down", metadata: ["error": "\(failure.prefix(200))"])
                    }
                    down = outage
                } else {
                    down = (now, now, 1)
                    logger.warning(
                        "change channel \(everUp ? "lost" : "not up yet"); trying every \(Self.seconds(retryDelay)) s (caches keep entries for 1 s meanwhile)",
                        metadata: ["error": "\(failure.prefix(200))"])
                }
                await hub.deliver(.channelLost)
                try? await Task.sleep(for: retryDelay)
            }
        }
    }

    /// Seconds, to a tenth.
    static func seconds(_ duration: Duration) -> Double {
        (duration.timeInterval * 10).rounded() / 10
    }
}
