import Foundation
import GatehouseTestSupport
import Logging
import MetricsTestKit
import Testing

@testable import GatehouseCore

/// A flow nobody asks about again is counted when it expires: the janitor fails it, and
/// `gatehouse_flows_failed_total` says why, once.
@Suite struct FlowJanitorTests {
    @Test func expiredFlowsAreCountedOnceByTheirReason() async throws {
        try await StoreBackend.withSQLite { store in
            let metrics = TestMetrics()
            let janitor = FlowJanitor(store: store, telemetry: Telemetry(factory: metrics), logger: Logger(label: "test"))
            let hourAgo = Date().addingTimeInterval(-3600)
            _ = try await store.insertFlowDeduplicated(makeFlow(user: "a", now: hourAgo), now: hourAgo)
            _ = try await store.insertFlowDeduplicated(makeFlow(user: "b", now: hourAgo), now: hourAgo)
            let taken = try await store.insertFlowDeduplicated(makeFlow(user: "c", now: hourAgo), now: hourAgo)
            _ = try await store.consumeState(hash: taken.stateHash, now: hourAgo)
            _ = try await store.insertFlowDeduplicated(makeFlow(user: "d"), now: Date())
            await janitor.round(sweeping: false)
            await janitor.round(sweeping: false)
            let expired = try metrics.expectCounter("gatehouse_flows_failed_total", [("provider", "p"), ("reason", "expired")])
            let interrupted = try metrics.expectCounter(
                "gatehouse_flows_failed_total", [("provider", "p"), ("reason", "callback_interrupted")])
            #expect(expired.totalValue == 2 && interrupted.totalValue == 1)
        }
    }

    /// A round a stop cancels (its store call then fails) says nothing; one that fails on its own
    /// says so.
    @Test func aRoundAStopCancelsIsNoFailure() async throws {
        try await StoreBackend.withSQLite { base in
            let store = InterposedStore(base, before: { _ in throw CancellationError() })
            let log = LogRecorder()
            let janitor = FlowJanitor(store: store, logger: log.logger())
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                await janitor.round(sweeping: false)
            }
            await cancelled.value
            #expect(log.logged.isEmpty, "\(log.logged.map(\.message))")
            await janitor.round(sweeping: false)
            #expect(log.logged.map(\.message) == ["flow janitor failed"])
        }
    }
}
