import GatehouseCore
import GatehouseWire
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// One `LISTEN` connection per replica: every change another replica announces reaches this
/// replica's `ChangeHub`. Each time the channel is up (the first time too) the hub hears
/// `everything`: every parked long-poll re-checks its flow and every cache is dropped, so no
/// wake is lost while it was gone. While it is down (`channelLost`), the caches keep entries
/// for a second only: a replica that cannot hear the others serves what the store says.
///
/// The connection is its own, outside the serving pool: after an outage the pool backs off
/// between attempts, and a LISTEN queued behind the requests came back only 10-15 s after the
/// database did. Here it is tried again every `retryDelay`.
///
/// A connection that only listens never writes, so one the database left without a word (a host
/// that died, a partition, a NAT that forgot an idle flow) would never fail: the replica would
/// believe it heard the others while it heard nothing. Every `pingInterval` the listener sends
/// a notification of its own on the connection, and one that has not come back within
/// `pingTimeout` closes the connection, which counts as the channel lost.
package struct PostgresListener: Service {
    let settings: PostgresSettings
    let hub: ChangeHub
    let logger: Logger
    let retryDelay: Duration
    let pingInterval: Duration
    let pingTimeout: Duration

    /// A listener on the database `settings` reach.
    package init(
        settings: PostgresSettings, hub: ChangeHub, logger: Logger, retryDelay: Duration = .seconds(1),
        pingInterval: Duration = .seconds(10), pingTimeout: Duration = .seconds(5)
    ) {
        self.settings = settings
        self.hub = hub
        self.logger = logger
        self.retryDelay = retryDelay
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
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
                            try await relay(changes, checking: connection)
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
                // A stop ends the listening without an error: not an outage to warn of.
                if Task.isCancelled { return }
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

    /// Hands each change to the hub until the connection ends, while pinging it.
    private func relay(_ changes: PostgresNotificationSequence, checking connection: PostgresConnection) async throws {
        let echo = Echo()
        // Tells this connection's pings from another's: every replica hears every ping.
        let ping = "ping:" + SecureRandom.identifier(prefix: "") + ":"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await keepPinging(connection, prefix: ping, echo: echo) }
            for try await notification in changes {
                if notification.payload.hasPrefix(ping) {
                    echo.heard(Int(notification.payload.dropFirst(ping.count)) ?? 0)
                } else if let change = StoreChange(payload: notification.payload) {
                    await hub.deliver(change)
                }
            }
            group.cancelAll()
        }
    }

    /// Sends a numbered ping every `pingInterval`; closes the connection when one has not come
    /// back within `pingTimeout` (the statement unanswered, or the notification not delivered).
    private func keepPinging(_ connection: PostgresConnection, prefix: String, echo: Echo) async {
        var sent = 0
        while true {
            try? await Task.sleep(for: pingInterval)
            if Task.isCancelled { return }
            sent += 1
            let number = sent
            let logger = logger
            let answered: Void? = try? await Deadline.run(within: pingTimeout) {
                let payload = prefix + String(number)
                try await connection.query("SELECT pg_notify(\(PostgresStore.channel), \(payload))", logger: logger)
                while echo.last < number { try await Task.sleep(for: .milliseconds(10)) }
            }
            if Task.isCancelled { return }
            guard answered != nil else {
                logger.warning(
                    "the change channel's connection did not answer a ping within \(Self.seconds(pingTimeout)) s; closing it")
                try? await connection.close()
                return
            }
        }
    }

    /// The last ping this connection heard back.
    private final class Echo: Sendable {
        private let number = Mutex(0)
        var last: Int { number.withLock { $0 } }
        func heard(_ value: Int) { number.withLock { $0 = max($0, value) } }
    }

    /// Seconds, to a tenth.
    static func seconds(_ duration: Duration) -> Double {
        (duration.timeInterval * 10).rounded() / 10
    }
}
