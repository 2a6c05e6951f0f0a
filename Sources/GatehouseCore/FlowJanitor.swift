import Foundation
import Logging
import ServiceLifecycle

/// Keeps the flows table in order. Every `expiryInterval` it fails the pending flows whose time
/// ran out and counts them (`gatehouse_flows_failed_total`), so that a flow nobody asks about
/// again (the person never opened the link, the app stopped polling) is counted too; every
/// `interval` it also deletes ended flows older than the retention, so the table does not grow
/// by a row per authorization forever. Flows a connection still names are kept: `status` on a
/// completed authorization id keeps working. The dashboard's sign-outs go once their sessions
/// have lapsed anyway.
package struct FlowJanitor: Service {
    let store: any Store
    let retention: TimeInterval
    let interval: Duration
    let expiryInterval: Duration
    let telemetry: Telemetry
    let logger: Logger
    let now: @Sendable () -> Date
    /// How many expired flows one run fails at most; the next run goes on.
    static let expiryBatch = 1000

    /// Creates a janitor; by default it fails expired flows every minute, keeps a week of flows
    /// and deletes hourly.
    package init(
        store: any Store, retention: TimeInterval = 7 * 24 * 3600, interval: Duration = .seconds(3600),
        expiryInterval: Duration = .seconds(60), telemetry: Telemetry = .none, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.expiryInterval = expiryInterval
        self.telemetry = telemetry
        self.logger = logger
        self.now = now
    }

    /// A round every `expiryInterval`, the first now, until shutdown; the first round and then
    /// one in every `interval / expiryInterval` sweeps too.
    package func run() async throws {
        let sweepEvery = max(1, Int(interval / expiryInterval))
        try await runPeriodically(every: expiryInterval, immediately: true) { round in
            await self.round(sweeping: round % sweepEvery == 0)
        }
    }

    /// A round with the sweep: what a test runs.
    package func sweep() async {
        await round(sweeping: true)
    }

    /// Fails (and counts) the flows whose time ran out and, when `sweeping`, deletes the old
    /// ended ones; on one replica of the fleet at a time (one job lock: the jobs' locks each
    /// hold a connection, and `pool_size` counts on three). Failures are logged and retried at
    /// the next round.
    func round(sweeping: Bool) async {
        do {
            let ran = try await store.runExclusively("flow-janitor") { [store, telemetry, logger, now, retention] in
                for flow in try await store.expireFlows(now: now(), limit: Self.expiryBatch) {
                    let interrupted = flow.failureReason == Flow.callbackInterruptedReason
                    telemetry.flowFailed(provider: flow.providerID, reason: interrupted ? .callbackInterrupted : .expired)
                }
                guard sweeping else { return }
                let removed = try await store.deleteEndedFlows(createdBefore: now().addingTimeInterval(-retention))
                if removed > 0 { logger.info("removed ended flows", metadata: ["count": "\(removed)"]) }
                // Five minutes late: a replica whose clock is behind still takes the cookie as live.
                _ = try await store.deleteLapsedDashboardSignOuts(before: now().addingTimeInterval(-300))
            }
            if ran {
                telemetry.jobSucceeded(.flowJanitor, at: now())
            } else {
                logger.debug("flow janitor skipped: another replica is at it")
            }
        } catch {
            // A stop cancelled it (the pool refuses, the query ends): not a failure to report.
            guard !Task.isCancelled else { return }
            logger.warning("flow janitor failed", metadata: ["error": "\(error)"])
        }
    }
}
