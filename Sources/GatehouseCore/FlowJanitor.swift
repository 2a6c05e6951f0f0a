import Foundation
import Logging
import ServiceLifecycle

/// Deletes ended flows once they are older than the retention, so the flows table does not
/// grow by a row per authorization forever. Flows a connection still names are kept: `status`
/// on a completed authorization id keeps working. The dashboard's sign-outs go once their
/// sessions have lapsed anyway.
package struct FlowJanitor: Service {
    let store: any Store
    let retention: TimeInterval
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    /// Creates a janitor; by default it keeps a week of flows and sweeps hourly.
    package init(
        store: any Store, retention: TimeInterval = 7 * 24 * 3600, interval: Duration = .seconds(3600), logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    /// Sweeps once now, then every `interval` until shutdown.
    package func run() async throws {
        try await runPeriodically(every: interval, immediately: true) { await sweep() }
    }

    /// One sweep, on one replica of the fleet at a time; failures are logged and retried at the
    /// next interval.
    package func sweep() async {
        do {
            let ran = try await store.runExclusively("flow-janitor") { [store, logger, now, retention] in
                let removed = try await store.deleteEndedFlows(createdBefore: now().addingTimeInterval(-retention))
                if removed > 0 { logger.info("removed ended flows", metadata: ["count": "\(removed)"]) }
                // Five minutes late: a replica whose clock is behind still takes the cookie as live.
                _ = try await store.deleteLapsedDashboardSignOuts(before: now().addingTimeInterval(-300))
            }
            if !ran { logger.debug("flow sweep skipped: another replica is sweeping") }
        } catch {
            logger.warning("flow sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
