import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps grants alive without waiting for a read: refreshes connections whose token expires
/// within `window`, and connections untouched for `idleAge` (providers revoke refresh tokens
/// left idle); a grant the provider refuses is marked `reauthorization_required`. Runs on one
/// replica of the fleet at a time.
package struct RefreshSweep: Service {
    /// What one sweep did.
    package struct Report: Sendable, Equatable {
        /// Connections refreshed.
        package var refreshed = 0
        /// Connections whose provider refused the refresh token: the user must authorize again.
        package var reauthorizationRequired = 0
        /// Refreshes that failed for another reason (left for the next sweep).
        package var failed = 0
        /// Connections left as they were: their provider cannot refresh them (gone, inactive, no
        /// refresh request), or the refresh changed nothing (another replica or request got there first).
        package var skipped = 0

        mutating func add(_ outcome: Outcome) {
            switch outcome {
            case .refreshed: refreshed += 1
            case .reauthorizationRequired: reauthorizationRequired += 1
            case .failed: failed += 1
            case .skipped: skipped += 1
            }
        }
    }

    enum Outcome {
        case refreshed, reauthorizationRequired, failed, skipped
    }

    let broker: AuthBroker
    let interval: Duration
    let window: TimeInterval
    let idleAge: TimeInterval
    let batch: Int
    /// Where the last full batch ended. Connections whose refresh keeps failing (a provider
    /// that refuses the client, one that is down) keep their expired tokens and stay first in
    /// line: started from the head each time, a batch of them would be all the sweep ever did.
    private let position = Position()

    /// A sweep every `interval`; `window` 0 leaves expiring tokens to refresh on read.
    package init(broker: AuthBroker, interval: Duration, window: TimeInterval, idleAge: TimeInterval, batch: Int = 500) {
        self.broker = broker
        self.interval = interval
        self.window = window
        self.idleAge = idleAge
        self.batch = batch
    }

    /// Sweeps every `interval` until shutdown.
    package func run() async throws {
        try await runPeriodically(every: interval, immediately: false) { _ in _ = await sweep() }
    }

    /// One sweep (skipped when another replica is sweeping); failures are counted and logged.
    package func sweep() async -> Report {
        let report = Mutex(Report())
        do {
            let ran = try await broker.store.runExclusively("refresh-sweep") { [self] in
                let time = broker.now()
                // With no window, tokens are refreshed on read, expired ones too: refreshing every
                // expired token here would cost a refresh per lifetime for every connection.
                let candidates = try await broker.store.connectionsToRefresh(
                    expiringBefore: window > 0 ? time.addingTimeInterval(window) : .distantPast,
                    untouchedSince: time.addingTimeInterval(-idleAge), after: position.current, limit: batch)
                for connection in candidates {
                    let outcome = await refresh(connection)
                    report.withLock { $0.add(outcome) }
                }
                // A full batch: the next sweep goes on after it; a short one reached the end, and
                // the next starts from the head again.
                position.current = candidates.count < batch ? nil : candidates.last.map(SweepPosition.init(after:))
            }
            if ran {
                broker.telemetry.jobSucceeded(.refreshSweep, at: broker.now())
            } else {
                broker.logger.debug("refresh sweep skipped: another replica is sweeping")
            }
        } catch {
            broker.logger.warning("refresh sweep failed", metadata: ["error": "\(error)"])
        }
        let result = report.withLock { $0 }
        if result != Report() {
            broker.logger.info(
                "refresh sweep",
                metadata: [
                    "refreshed": "\(result.refreshed)", "reauthorization_required": "\(result.reauthorizationRequired)",
                    "failed": "\(result.failed)", "skipped": "\(result.skipped)",
                ])
        }
        return result
    }

    private func refresh(_ connection: Connection) async -> Outcome {
        guard let provider = try? await broker.providers.provider(id: connection.providerID), provider.enabled,
            provider.oauth2.refreshRequest?.endpoint != nil
        else { return .skipped }
        do {
            let after = try await broker.refresher.refresh(connection, provider: provider, sweeping: true)
            return after.version == connection.version || after.status != .active ? .skipped : .refreshed
        } catch RefreshCoordinator.Failure.reauthorizationRequired {
            return .reauthorizationRequired
        } catch RefreshCoordinator.Failure.gone {
            // Deleted since the sweep read it.
            return .skipped
        } catch {
            return .failed
        }
    }

    /// The position, shared by the sweeps of this replica (another replica's sweep starts from
    /// the head).
    private final class Position: Sendable {
        private let value = Mutex<SweepPosition?>(nil)
        var current: SweepPosition? {
            get { value.withLock { $0 } }
            set { value.withLock { $0 = newValue } }
        }
    }
}
