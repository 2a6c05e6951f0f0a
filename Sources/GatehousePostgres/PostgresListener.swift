import GatehouseCore
import Logging
import PostgresNIO
import ServiceLifecycle

/// One `LISTEN` connection per replica: every change another replica announces reaches this
/// replica's `ChangeHub`. A lost connection is opened again, and then every parked long-poll
/// re-checks its flow and every cache is dropped, so no wake is lost while it was gone.
package struct PostgresListener: Service {
    let client: PostgresClient
    let hub: ChangeHub
    let logger: Logger
    let retryDelay: Duration

    /// A listener on `client` (which must run in the same service group).
    package init(client: PostgresClient, hub: ChangeHub, logger: Logger, retryDelay: Duration = .seconds(1)) {
        self.client = client
        self.hub = hub
        self.logger = logger
        self.retryDelay = retryDelay
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            var reconnecting = false
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: PostgresStore.channel) { changes in
                            if reconnecting {
                                logger.notice("change channel back: re-checking parked flows and caches")
                                await hub.deliver(.everything)
                            }
                            for try await notification in changes {
                                if let change = StoreChange(payload: notification.payload) { await hub.deliver(change) }
                            }
                        }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.warning(
                        "change channel lost; reconnecting", metadata: ["error": "\(String(reflecting: error).prefix(200))"])
                }
                reconnecting = true
                try? await Task.sleep(for: retryDelay)
            }
        }
    }
}
