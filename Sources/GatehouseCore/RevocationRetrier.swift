import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Tries again the revocations of deleted connections' grants that are due: those whose first
/// try failed for a reason that may pass, and those whose first try never ended (the deleting
/// process died, or could not record the outcome). Runs on one replica of the fleet at a time,
/// every `BrokerSettings.revocationRetryInterval`.
package struct RevocationRetrier: Service {
    /// What one run did.
    package struct Report: Sendable, Equatable {
        /// Grants revoked.
        package var revoked = 0
        /// Revocations the provider refused for good, or that ran out of time: not tried again.
        package var dropped = 0
        /// Revocations that failed again, and are tried later.
        package var postponed = 0
        /// Revocations left for the next run, untried: their provider failed the tries before.
        package var skipped = 0

        mutating func add(_ other: Report) {
            revoked += other.revoked
            dropped += other.dropped
            postponed += other.postponed
            skipped += other.skipped
        }

        mutating func add(_ outcome: RevocationOutcome) {
            switch outcome {
            case .revoked: revoked += 1
            case .refused, .gaveUp, .superseded: dropped += 1
            case .postponed: postponed += 1
            }
        }
    }

    /// After this many failed tries in a row at one provider, its other revocations are left,
    /// untouched, for the next run.
    static let failuresBeforeSkipping = 3
    /// How many providers' revocations a run sends at once: one provider's go one after another
    /// (the rule above counts them in order), different providers' side by side, so that one
    /// slow to answer (each call may take up to the provider timeout) does not hold up the
    /// others'.
    static let sendersAtOnce = 4

    let broker: AuthBroker
    let batch: Int
    let batchesPerRun: Int

    /// A retrier for `broker`'s store and providers, taking `batch` revocations at a time and at
    /// most `batchesPerRun` batches per run.
    package init(broker: AuthBroker, batch: Int = 100, batchesPerRun: Int = 10) {
        self.broker = broker
        self.batch = batch
        self.batchesPerRun = batchesPerRun
    }

    /// Runs now, then every `revocationRetryInterval` until shutdown.
    package func run() async throws {
        try await runPeriodically(every: .seconds(broker.settings.revocationRetryInterval), immediately: true) { _ in
            _ = await retry()
        }
    }

    /// One run (skipped when another replica is running it), then the pending revocation gauges
    /// set (`countBacklog`); failures are logged.
    package func retry() async -> Report {
        let report = Mutex(Report())
        do {
            let ran = try await broker.store.runExclusively("revocation-retrier") { [self] in
                // Each revocation is tried at most once per run: one whose outcome could not be
                // recorded stays due, and comes back in the next batch.
                var tried: Set<String> = []
                // Failures in a row per sender in this run; a sender that reaches
                // `failuresBeforeSkipping` (down, each try up to the provider timeout) is left
                // for the next run.
                var failures: [String: Int] = [:]
                var down: Set<String> = []
                for _ in 0..<batchesPerRun {
                    let due = try await broker.store.dueRevocations(now: broker.now(), limit: batch, excluding: down)
                    let fresh = due.filter { tried.insert($0.id).inserted }
                    // Who sends each: a deleted provider's revocations go through it, not through
                    // the provider of its id.
                    let senders = Dictionary(grouping: fresh) { $0.retiredProvider ?? $0.providerID }
                        .sorted { $0.key < $1.key }
                    let sent = await withTaskGroup(of: Sent.self) { group in
                        var sent: [Sent] = []
                        var running = 0
                        for (sender, rows) in senders {
                            if running == Self.sendersAtOnce, let done = await group.next() {
                                sent.append(done)
                                running -= 1
                            }
                            let before = failures[sender, default: 0]
                            group.addTask { await send(rows, sender: sender, failures: before) }
                            running += 1
                        }
                        for await done in group { sent.append(done) }
                        return sent
                    }
                    for done in sent {
                        report.withLock { $0.add(done.report) }
                        failures[done.sender] = done.failures
                        if done.failures >= Self.failuresBeforeSkipping { down.insert(done.sender) }
                    }
                    if fresh.isEmpty || due.count < batch { break }
                }
                try await broker.store.dropRetiredProviders()
            }
            if ran {
                broker.telemetry.jobSucceeded(.revocationRetry, at: broker.now())
            } else {
                broker.logger.debug("revocation retry skipped: another replica is running it")
            }
        } catch {
            // A stop cancelled it (the pool refuses, the query ends): not a failure to report.
            guard !Task.isCancelled else { return report.withLock { $0 } }
            broker.logger.warning("revocation retry failed", metadata: ["error": "\(error)"])
        }
        await countBacklog()
        let done = report.withLock { $0 }
        if done != Report() {
            broker.logger.info(
                "revocation retry",
                metadata: [
                    "revoked": "\(done.revoked)", "dropped": "\(done.dropped)", "postponed": "\(done.postponed)",
                    "skipped": "\(done.skipped)",
                ])
        }
        return done
    }

    /// What `send` did for one sender: its failures in a row at the end, and the outcomes.
    struct Sent: Sendable {
        var sender: String
        var failures: Int
        var report = Report()
    }

    /// One sender's due revocations, one after another, counting on from `failures` in a row
    /// (earlier batches'); once they reach `failuresBeforeSkipping`, the rest are skipped.
    func send(_ rows: [PendingRevocation], sender: String, failures: Int) async -> Sent {
        var sent = Sent(sender: sender, failures: failures)
        // A deleted provider, read once for its rows.
        var retired: Provider??
        for pending in rows {
            guard sent.failures < Self.failuresBeforeSkipping else {
                sent.report.skipped += 1
                continue
            }
            let provider: Result<Provider?, any Error>
            do {
                if let key = pending.retiredProvider {
                    // A deleted provider's grants go through it as it was deleted.
                    if retired == nil { retired = .some(try await broker.providers.retired(key: key)) }
                    provider = .success(retired ?? nil)
                } else {
                    provider = .success(try await broker.providers.provider(id: pending.providerID))
                }
            } catch {
                provider = .failure(error)
            }
            let outcome = await broker.refresher.revoker.attempt(pending, at: provider)
            sent.report.add(outcome)
            switch outcome {
            // A first try that failed past `give_up_after` (a dead server's grants queued by its
            // provider's delete) cost a call as much as a postponed one.
            case .postponed,
                .gaveUp where pending.attempts == 0:
                sent.failures += 1
            case .revoked: sent.failures = 0
            case .refused, .gaveUp, .superseded: break
            }
        }
        return sent
    }

    /// Sets the pending revocation gauges from the store. Every replica counts at each run,
    /// whether it ran the retries or not, so each shows the fleet's figure as of its last run.
    func countBacklog() async {
        do {
            broker.telemetry.revocationBacklog(try await broker.store.revocationBacklog(), now: broker.now())
        } catch {
            // A stop cancelled it (the pool refuses, the query ends): not a failure to report.
            guard !Task.isCancelled else { return }
            broker.logger.warning("could not count the pending revocations", metadata: ["error": "\(error)"])
        }
    }
}
